"""Access requests: from an enterprise's request to delivered data."""
