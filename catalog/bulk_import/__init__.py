"""Bulk import of products or datasets from a CSV, XLSX or JSON file in the export's columns
(``catalog import``, ``/admin/import``)."""
