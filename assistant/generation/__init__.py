"""Answerers: the offline extractive answerer (default) and LLM-backed ones."""
