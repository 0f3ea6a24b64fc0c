"""Site settings that administrators change on /admin/settings: the targets and the price caps."""
