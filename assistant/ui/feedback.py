"""The feedback log: one JSON object per line in `<data_dir>/feedback.jsonl`.

A rating is written the moment a reader clicks thumbs up or down; a comment added afterwards is
written as a second line with the same `id`, so the last line of an id is the complete record.
Each record holds what a reviewer needs to turn it into an evaluation item
(`assistant eval from-feedback`): the question, the turns before it, the answer, its citations
(with quotes and passages) and the retrieved passages.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Rating = Literal["up", "down"]
FEEDBACK_FILE = "feedback.jsonl"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class FeedbackEntry:
    """One reader's verdict on one answer."""

    question: str
    answer: str
    citations: list[dict[str, Any]]
    rating: Rating
    comment: str = ""
    abstained: bool = False
    history: list[dict[str, str]] = field(default_factory=list)  # the turns before the question
    retrieved: list[dict[str, str]] = field(default_factory=list)  # chunk_id, document_id, text
    time: str = field(default_factory=utc_now)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "rating": self.rating,
            "comment": self.comment,
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": self.citations,
            "history": self.history,
            "retrieved": self.retrieved,
        }


class FeedbackLog:
    """Appends entries to a JSON-lines file; safe to share between the server's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, entry: FeedbackEntry) -> None:
        line = json.dumps(entry.to_json(), ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")

    def read(self) -> list[dict[str, Any]]:
        """Every line, oldest first (for tests and reports)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
