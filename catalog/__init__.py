"""The Huai'an Data Port catalog (淮安市数据港): data products and the authorized-operation data catalog."""

__version__ = "0.1.0"
