"""The web page (Gradio): chat with cited answers, and the knowledge base tab."""
