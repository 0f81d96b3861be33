"""Kept conversations: the store in the data directory and the Markdown export."""
