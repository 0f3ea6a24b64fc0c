"""The listing lifecycle shared by datasets and products."""
