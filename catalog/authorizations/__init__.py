"""Authorizations (授权) of public-data operation: which operator the implementing body authorizes to
operate which datasets, for what, until when (发改数据规〔2025〕27号)."""
