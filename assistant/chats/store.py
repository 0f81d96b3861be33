"""Conversations kept in the data directory: one JSON file per conversation, one folder per owner.

An owner is who a conversation belongs to: "user:<name>" on a web page with a login,
"browser:<id>" on one without (a random id the browser keeps), "terminal" for `assistant chat`.
An owner's folder is named by a hash of the owner, so a name never becomes a path, and a
conversation is only ever looked for in its owner's folder: one owner cannot open, list or
delete another's. Each exchange keeps the question, the answer as `ask --json` gives it (for the
export and the terminal) and the answer as the page showed it (so reopening shows what was read,
even after the documents changed). Writes go to a temporary file renamed over the old one, under
a lock per owner, so a crash or two tabs at once never leave half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from assistant.errors import AssistantError
from assistant.index.datadir import DataDir
from assistant.types import Answer, Turn

log = logging.getLogger(__name__)

FORMAT = 1
TERMINAL = "terminal"
TITLE_CHARS = 80
_ID = re.compile(r"[0-9a-f]{32}")


class ConversationNotFound(AssistantError):
    """No conversation of that id belongs to this owner (or its file cannot be read)."""


def user_owner(name: str) -> str:
    return f"user:{name}"


def browser_owner(browser_id: str) -> str:
    return f"browser:{browser_id}"


def new_browser_id() -> str:
    """A random id for a browser without a login (unguessable: it is that browser's key)."""
    return uuid.uuid4().hex


def _slug(title: str) -> str:
    """A file name's stem from a title: its first words, ASCII letters and digits only."""
    words = re.findall(r"[A-Za-z0-9]+", title)[:8]
    return "-".join(words).lower() or "conversation"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")  # orders answers within one second


@dataclass(frozen=True)
class StoredExchange:
    """One question and its answer, as kept."""

    question: str
    asked: str  # ISO time, UTC
    answer: dict[str, Any]  # Answer.to_json() without the retrieval details
    html: str = ""  # the answer as the web page rendered it; empty for terminal answers

    @property
    def text(self) -> str:
        return str(self.answer.get("answer", ""))

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "asked": self.asked,
            "answer": self.answer,
            "html": self.html,
        }

    @classmethod
    def from_json(cls, data: Any) -> StoredExchange:
        if not isinstance(data, dict) or not isinstance(data.get("question"), str):
            raise ValueError("an exchange needs a question")
        answer = data.get("answer")
        if not isinstance(answer, dict) or not isinstance(answer.get("answer"), str):
            raise ValueError("an exchange needs an answer")
        for key in ("citations", "sentences"):
            items = answer.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError(f"an answer's {key} must be a list of objects")
        html = data.get("html", "")
        return cls(
            data["question"],
            str(data.get("asked", "")),
            answer,
            html if isinstance(html, str) else "",
        )


def kept_answer(answer: Answer) -> dict[str, Any]:
    """What is kept of an answer: its `ask --json` form less what only evaluation reads."""
    data = answer.to_json()
    for key in ("retrieved", "timings_ms", "query"):
        data.pop(key, None)
    return data


@dataclass
class Conversation:
    """A kept conversation: who it belongs to, when, and its exchanges in order."""

    id: str
    owner: str
    created: str
    updated: str
    exchanges: list[StoredExchange] = field(default_factory=list)

    @property
    def title(self) -> str:
        """Its first question, cut to TITLE_CHARS."""
        first = self.exchanges[0].question if self.exchanges else "(empty)"
        first = " ".join(first.split())
        return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"

    def turns(self) -> list[Turn]:
        """The conversation as the chain reads it (the chain keeps only the latest)."""
        turns: list[Turn] = []
        for exchange in self.exchanges:
            turns += [Turn("user", exchange.question), Turn("assistant", exchange.text)]
        return turns

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "owner": self.owner,
            "created": self.created,
            "updated": self.updated,
            "exchanges": [e.to_json() for e in self.exchanges],
        }

    @classmethod
    def from_json(cls, data: Any) -> Conversation:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a conversation of format {FORMAT}")
        exchanges = data.get("exchanges")
        if not isinstance(exchanges, list):
            raise ValueError("no list of exchanges")
        return cls(
            id=str(data.get("id", "")),
            owner=str(data.get("owner", "")),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
            exchanges=[StoredExchange.from_json(e) for e in exchanges],
        )


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation as the side list and `conversations list` show it."""

    id: str
    title: str
    created: str
    updated: str
    questions: int


class ConversationStore:
    """The conversations of every owner, under the data directory's `conversations/`, and
    their Markdown exports (`exports`: a folder the web page serves files from)."""

    def __init__(self, root: Path, exports: Path | None = None) -> None:
        self.root = root
        self.exports = exports if exports is not None else root / "exports"

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ConversationStore:
        folders = DataDir(data_dir)
        return cls(folders.conversations, folders.conversation_exports)

    def _folder(self, owner: str) -> Path:
        return self.root / hashlib.sha256(owner.encode("utf-8")).hexdigest()[:32]

    def _path(self, owner: str, conversation_id: str) -> Path:
        if not _ID.fullmatch(conversation_id):
            raise ConversationNotFound(f"no conversation '{conversation_id[:40]}'")
        return self._folder(owner) / f"{conversation_id}.json"

    def _lock(self, owner: str) -> FileLock:
        folder = self._folder(owner)
        folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(folder / ".lock"), timeout=30)

    def _read(self, path: Path, owner: str) -> Conversation:
        data = json.loads(path.read_text(encoding="utf-8"))
        conversation = Conversation.from_json(data)
        if conversation.owner != owner or conversation.id != path.stem:
            raise ValueError("the file belongs elsewhere")
        return conversation

    def load(self, owner: str, conversation_id: str) -> Conversation:
        """The owner's conversation of that id; ConversationNotFound (one line) otherwise."""
        path = self._path(owner, conversation_id)
        try:
            return self._read(path, owner)
        except FileNotFoundError:
            raise ConversationNotFound(f"no conversation '{conversation_id}'") from None
        except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise ConversationNotFound(
                f"conversation '{conversation_id}' cannot be read: {exc}"
            ) from None

    def summaries(self, owner: str) -> list[ConversationSummary]:
        """The owner's conversations, the most recently continued first; unreadable files are
        left out (and logged), never a reason to show none."""
        folder = self._folder(owner)
        if not folder.is_dir():
            return []
        summaries: list[ConversationSummary] = []
        for path in folder.glob("*.json"):
            try:
                c = self._read(path, owner)
            except (OSError, ValueError) as exc:
                log.warning("skipping unreadable conversation %s: %s", path, exc)
                continue
            summaries.append(
                ConversationSummary(c.id, c.title, c.created, c.updated, len(c.exchanges))
            )
        summaries.sort(key=lambda s: (s.updated, s.created, s.id), reverse=True)
        return summaries

    def latest(self, owner: str) -> Conversation | None:
        """The owner's most recently continued conversation, if there is one."""
        summaries = self.summaries(owner)
        return self.load(owner, summaries[0].id) if summaries else None

    def append(
        self, owner: str, conversation_id: str | None, question: str, answer: Answer, html: str = ""
    ) -> Conversation:
        """Keep one more exchange: in the owner's conversation `conversation_id`, or in a new
        one when it is None (or gone: deleted in another tab). Returns the conversation."""
        now = _now()
        exchange = StoredExchange(question, now, kept_answer(answer), html)
        try:
            return self._append(owner, conversation_id, exchange)
        except OSError as exc:
            raise AssistantError(
                f"cannot keep the conversation in {self.root}: {exc.strerror or exc}"
            ) from exc

    def _append(
        self, owner: str, conversation_id: str | None, exchange: StoredExchange
    ) -> Conversation:
        now = exchange.asked
        with self._lock(owner):
            conversation: Conversation | None = None
            if conversation_id is not None:
                try:
                    conversation = self.load(owner, conversation_id)
                except ConversationNotFound:
                    conversation = None
            if conversation is None:
                conversation = Conversation(uuid.uuid4().hex, owner, now, now)
            conversation.exchanges.append(exchange)
            conversation.updated = now
            self._write(self._path(owner, conversation.id), conversation)
        return conversation

    def delete(self, owner: str, conversation_id: str) -> bool:
        """Delete the owner's conversation and its export; whether there was one to delete."""
        path = self._path(owner, conversation_id)
        try:
            with self._lock(owner):
                try:
                    path.unlink()
                except FileNotFoundError:
                    return False
        except OSError as exc:
            raise AssistantError(
                f"cannot delete conversation '{conversation_id}': {exc.strerror or exc}"
            ) from exc
        shutil.rmtree(self.exports / conversation_id, ignore_errors=True)
        return True

    def export(
        self, owner: str, conversation_id: str, markdown: Callable[[Conversation], str]
    ) -> Path:
        """The owner's conversation written by `markdown` into its export folder (named by the
        unguessable id; the file readable by this user only); its path."""
        conversation = self.load(owner, conversation_id)
        folder = self.exports / conversation.id
        path = folder / f"{_slug(conversation.title)}.md"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(markdown(conversation))
        except OSError as exc:
            raise AssistantError(
                f"cannot write the export of '{conversation_id}': {exc.strerror or exc}"
            ) from exc
        return path

    @staticmethod
    def _write(path: Path, conversation: Conversation) -> None:
        text = json.dumps(conversation.to_json(), ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
