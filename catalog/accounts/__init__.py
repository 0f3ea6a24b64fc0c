"""Users, organizations and memberships."""
