"""The indexes: embeddings, the vector store, the BM25 index and the document registry."""
