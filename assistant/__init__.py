"""The assistant: cited answers from a curated knowledge base, offline by default."""

__version__ = "0.1.0"
