"""The data product catalog (数据产品清单)."""
