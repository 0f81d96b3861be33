"""Asking within chosen sources: the document ids a reader picked, checked against the registry.

`chosen_sources` turns the ids given to `ask --source`, the chat's source filter or the /ask API
into the mapping the chain limits retrieval to (document id -> title, in the order given).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistant.errors import AssistantError
from assistant.types import DocumentRecord


def chosen_sources(records: Iterable[DocumentRecord], ids: Sequence[str]) -> dict[str, str]:
    """The chosen documents (id -> title); an unknown id is an AssistantError naming it.

    No ids: an empty mapping, which means no limit.
    """
    titles = {r.document_id: r.title for r in records}
    chosen: dict[str, str] = {}
    for raw in ids:
        document_id = raw.strip()
        if document_id not in titles:
            raise AssistantError(
                f"no document with id '{document_id}' (see: assistant sources list)"
            )
        chosen[document_id] = titles[document_id] or document_id
    return chosen


def limited_line(limited_to: dict[str, str]) -> str:
    """The one line saying which sources an answer was limited to ("" when it was not)."""
    if not limited_to:
        return ""
    return "Searched only: " + "; ".join(limited_to.values())
