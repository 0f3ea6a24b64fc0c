"""Licences and their machine-readable ODRL terms."""
