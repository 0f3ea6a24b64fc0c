"""The authorized-operation data catalog (授权运营数据目录)."""
