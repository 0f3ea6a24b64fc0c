"""The ChangeLog and the indexer that feeds search_index/ from it.

``hooks.install()`` puts the ChangeLog hooks on every session; the app factory, the CLI and the test
fixtures call it before they open one.
"""
