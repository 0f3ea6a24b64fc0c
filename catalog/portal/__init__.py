"""The site's own pages: home, combined search, health."""
