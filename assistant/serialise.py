"""The JSON the web API and the CLI share: documents, ingest results and conversation history.

`ask --json` and the web API's `/ask` both return `Answer.to_json()`; what else either of them
writes or reads as JSON is built here, so the two never drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from assistant.errors import BadQuestion
from assistant.types import DocumentRecord, Turn

if TYPE_CHECKING:
    from assistant.knowledge import IngestReport

TURN_SHAPE = '{"role": "user"|"assistant", "content": str}'


def document_json(record: DocumentRecord, *, path_key: str = "path") -> dict[str, Any]:
    """A document as `sources list --json` and the web API's `/documents` show it.

    The web API calls the path "source": gradio_client takes a dict with a "path" key for a file
    to download.
    """
    return {(path_key if key == "path" else key): value for key, value in record.to_json().items()}


def ingest_json(report: IngestReport, *, removed: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-file results of an ingest, the chunks embedded, the summary line; with `removed`,
    the documents pruned because their files are gone (the CLI's --prune)."""
    data: dict[str, Any] = {
        "results": [dataclasses.asdict(r) for r in report.results],
        "embedded": report.embedded,
    }
    if removed is not None:
        data["removed"] = list(removed)
    data["summary"] = report.summary()
    return data


def history_json(turns: Iterable[Turn]) -> list[dict[str, str]]:
    """Turns as the JSON list `parse_history` reads."""
    return [{"role": t.role, "content": t.content} for t in turns]


def parse_history(
    data: object,
    where: str = "history",
    *,
    limit: int | None = None,
    skip_invalid: bool = False,
) -> list[Turn]:
    """A JSON list of {"role": "user"|"assistant", "content": str} as Turns.

    Anything but a list is a BadQuestion (one line naming `where`). An entry of another shape is
    one too, unless `skip_invalid`: the web API takes histories from chat widgets, whose lists
    also hold system notes and files, and skips those. With `limit`, only the last `limit`
    entries are looked at (the chain keeps fewer still).
    """
    if not isinstance(data, list):
        raise BadQuestion(f"{where}: expected a JSON list of {{role, content}} turns")
    first = 0 if limit is None else max(0, len(data) - limit)
    turns: list[Turn] = []
    for i, item in enumerate(data[first:], start=first + 1):
        role = item.get("role") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if role in ("user", "assistant") and isinstance(content, str):
            turns.append(Turn(role, content))
        elif not skip_invalid:
            raise BadQuestion(f"{where}: turn {i} must be {TURN_SHAPE}")
    return turns
