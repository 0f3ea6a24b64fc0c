"""Administration: the targets dashboard, reports, catalog management and bulk import."""
