"""The pricing check: products on public data priced as the national rules and the city's caps say."""
