"""The page's named API endpoints (/ask, /documents, /upload, /remove) for scripts and tests.

Each returns a JSON object, `{"error": "<one line>"}` when it cannot do what was asked. Gradio
derives the endpoints' types from these methods' annotations, so every name in them is imported
at run time here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.chain import AssistantChain
from assistant.errors import AssistantError
from assistant.knowledge import KnowledgeBase
from assistant.scope import chosen_sources
from assistant.serialise import document_json, ingest_json, parse_history
from assistant.ui.uploads import decode_upload


@dataclass
class ApiHandler:
    """The endpoints over one chain and knowledge base."""

    chain: AssistantChain
    knowledge: KnowledgeBase
    max_history_turns: int
    max_file_bytes: int

    def ask(
        self,
        question: str,
        history: list[dict[str, Any]] | None = None,
        sources: list[str] | None = None,
    ) -> dict[str, Any]:
        """Ask one question; history is a list of {role, content}; sources, document ids to
        search only (default: all). Returns `ask --json`'s object."""
        try:
            turns = parse_history(history or [], limit=self.max_history_turns, skip_invalid=True)
            ids = [sources] if isinstance(sources, str) else [str(s) for s in sources or []]
            chosen = chosen_sources(self.knowledge.documents(), ids) if ids else None
            return self.chain.ask(question, turns, sources=chosen).to_json()
        except AssistantError as exc:
            return {"error": str(exc)}

    def documents(self) -> dict[str, Any]:
        """The documents in the knowledge base and the number of chunks indexed."""
        documents = [document_json(r, path_key="source") for r in self.knowledge.documents()]
        return {"documents": documents, "chunks": self.knowledge.chunk_count()}

    def upload(self, name: str, content_base64: str) -> dict[str, Any]:
        """Add one document: its file name (a label only) and its bytes in base64."""
        try:
            data = decode_upload(name, content_base64, self.max_file_bytes)
            report = self.knowledge.ingest_bytes([(name, data)])
        except AssistantError as exc:
            return {"error": str(exc)}
        return ingest_json(report)

    def remove(self, document_id: str) -> dict[str, Any]:
        """Remove a document and all its chunks."""
        try:
            record = self.knowledge.remove(document_id)
        except AssistantError as exc:
            return {"error": str(exc)}
        return {"removed": document_id, "title": record.title, "chunks": record.chunks}
