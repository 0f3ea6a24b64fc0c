"""Sectors (行业领域): the themes both catalogs are organized by."""
