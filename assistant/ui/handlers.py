"""What the page does when a reader acts: ask, rate, comment, upload, add a page, remove.

Each handler takes and returns plain values (HTML strings, visibility flags, dropdown choices,
the reader's `ChatSession`), so it is tested without Gradio; `app.py` lays out the page and turns
these values into Gradio updates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.chain import AssistantChain
from assistant.conversation import clean_question
from assistant.errors import AssistantError, BadQuestion
from assistant.evaluation.from_feedback import draft_set, read_feedback, select
from assistant.knowledge import IngestReport, KnowledgeBase, ProgressFn
from assistant.scope import chosen_sources
from assistant.types import Answer, Document, DocumentRecord
from assistant.ui import render
from assistant.ui.feedback import FEEDBACK_FILE, FeedbackEntry, FeedbackLog, Rating, utc_now
from assistant.ui.session import ChatSession
from assistant.ui.uploads import UploadInbox

log = logging.getLogger(__name__)

Message = dict[str, Any]
ChatUpdate = tuple[str, list[Message], ChatSession]  # the question box, the messages, the session
Choices = list[tuple[str, str]]  # (label, document id) for the remove dropdown
READING = "reading files"  # what an upload's progress reports before any embedding


def _assistant(content: str) -> Message:
    return {"role": "assistant", "content": content}


@dataclass
class ChatHandler:
    """A question in, its answer streamed into the conversation."""

    chain: AssistantChain
    render_answer: Callable[[Answer], str]
    max_question_chars: int
    max_history_turns: int
    kept_passages: int  # retrieved passages kept with an exchange for feedback
    # the knowledge base's documents, for the "search only these sources" filter
    records: Callable[[], Sequence[DocumentRecord]] = list
    # keeps an answered question (session, question, answer, its HTML) in the reader's conversation
    keep: Callable[[ChatSession, str, Answer, str], None] | None = None

    def respond(
        self,
        question: str,
        messages: list[Message],
        session: ChatSession,
        sources: Sequence[str] | None = None,
    ) -> Iterator[ChatUpdate]:
        """The pending message, the streamed text, then the rendered answer (or one error line).

        `sources`: the document ids to search only (none: the whole knowledge base)."""
        if not question.strip():
            yield "", messages, session
            return
        try:
            clean_question(question, self.max_question_chars)
        except BadQuestion as exc:  # refused before the question is shown back
            yield question, [*messages, _assistant(render.error_html(str(exc)))], session
            return
        shown = [*messages, {"role": "user", "content": render.user_html(question)}]
        yield "", [*shown, _assistant(render.pending_html(""))], session
        try:
            yield from self._stream(question, shown, session, list(sources or []))
        except AssistantError as exc:
            yield question, [*shown, _assistant(render.error_html(str(exc)))], session
        except Exception:  # a reader sees one line; the traceback goes to the server log
            log.exception("answering %r failed", question)
            failed = render.error_html("Something went wrong answering this; please try again.")
            yield question, [*shown, _assistant(failed)], session

    def _stream(
        self, question: str, shown: list[Message], session: ChatSession, sources: list[str]
    ) -> Iterator[ChatUpdate]:
        text = ""
        chosen = chosen_sources(self.records(), sources) if sources else None
        for item in self.chain.stream(question, list(session.turns), sources=chosen):
            if isinstance(item, Answer):
                html = self.render_answer(item)
                final = [*shown, _assistant(html)]
                session.record(
                    len(final) - 1,
                    question,
                    item,
                    max_turns=self.max_history_turns,
                    passages=self.kept_passages,
                )
                if self.keep is not None:
                    self.keep(session, question, item, html)
                yield "", final, session
            else:
                text += item
                yield "", [*shown, _assistant(render.pending_html(text))], session

    def source_choices(self, chosen: Sequence[str] | None) -> tuple[Choices, list[str]]:
        """The filter's choices (every document) and what stays chosen of `chosen` (the
        documents still there)."""
        records = self.records()
        ids = {r.document_id for r in records}
        choices = [(f"{r.title} ({r.document_id})", r.document_id) for r in records]
        return choices, [d for d in chosen or [] if d in ids]

    @staticmethod
    def new_conversation(
        session: ChatSession | None = None,
    ) -> tuple[list[Message], ChatSession, str, bool]:
        """No messages, a fresh session (of the same reader), an empty question box, the
        feedback box hidden."""
        return [], (session or ChatSession()).fresh(), "", False

    @staticmethod
    def example_text(value: object) -> str:
        """The question of a clicked example ({"text": ...} or the text itself)."""
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)


@dataclass
class FeedbackHandler:
    """Thumbs up or down on an answer, an optional comment, and the draft question set."""

    log: FeedbackLog
    exports: Path  # where the draft question set for download is written

    def rate(
        self, session: ChatSession, index: int | Sequence[int], liked: object
    ) -> tuple[ChatSession, bool, str]:
        """Log a rating of the message at `index`; (session, show the comment box, its note)."""
        at = index if isinstance(index, int) else index[0]
        exchange = session.exchanges.get(at)
        if exchange is None or liked not in (True, False):
            session.pending = None
            return session, False, ""
        rating: Rating = "up" if liked is True else "down"
        entry = FeedbackEntry(
            question=exchange.question,
            answer=exchange.answer,
            citations=exchange.citations,
            rating=rating,
            abstained=exchange.abstained,
            history=exchange.history,
            retrieved=exchange.retrieved,
        )
        self.log.append(entry)
        session.pending = entry
        thanks = (
            "Thanks — noted as helpful." if rating == "up" else "Thanks — noted as not helpful."
        )
        return session, True, render.notice_html(thanks + " Add a comment?")

    def comment(self, comment: str, session: ChatSession) -> tuple[ChatSession, bool, str, str]:
        """Log the comment on the last rating; (session, box hidden, no note, box emptied)."""
        entry = session.pending
        if entry is not None and comment.strip():
            entry.comment = comment.strip()[:4000]
            entry.time = utc_now()
            self.log.append(entry)
        session.pending = None
        return session, False, "", ""

    def view(self) -> tuple[str, str | None]:
        """Feedback counts and the latest thumbs-down, and the draft question set made of the
        thumbs-down (its path; None when there are none)."""
        records = read_feedback(self.log.path)
        down = select(records)
        if not down:
            return render.feedback_html(records), None
        self.exports.mkdir(parents=True, exist_ok=True)
        draft = self.exports / "feedback-draft.yaml"
        draft.write_text(draft_set(down, source=FEEDBACK_FILE), encoding="utf-8")
        return render.feedback_html(records), str(draft)


@dataclass
class KnowledgeHandler:
    """The knowledge base tab: the documents, uploads, and removing a document."""

    knowledge: KnowledgeBase
    inbox: UploadInbox
    fetch: Callable[[str], Document] | None = None  # a page by its address (documents/web.py)

    def view(self) -> tuple[str, Choices]:
        """The documents table and the remove dropdown's choices."""
        records = self.knowledge.documents()
        choices = [(f"{r.title} ({r.document_id})", r.document_id) for r in records]
        return render.documents_html(records, self.knowledge.chunk_count()), choices

    def upload(
        self, files: list[str] | None, progress: ProgressFn | None = None
    ) -> tuple[str, str, Choices]:
        """Ingest uploaded temp files; (the per-file results or one error line, *view())."""
        if not files:
            return render.notice_html("Choose one or more files first.", "warn"), *self.view()
        if progress is not None:
            progress(0, 0, READING)

        def ingest() -> IngestReport:
            items, rejected = self.inbox.read(list(files))
            report = self.knowledge.ingest_bytes(items, progress=progress) if items else None
            report = report or IngestReport()
            report.results[:0] = rejected
            return report

        return self._ingesting(ingest, "the files", "ingesting an upload failed")

    def add_pages(
        self, text: str | None, progress: ProgressFn | None = None
    ) -> tuple[str, str, Choices]:
        """Fetch and add the web addresses in `text` (separated by spaces or lines); (one line
        per address: added, updated, unchanged or rejected with its reason, *view())."""
        urls = (text or "").split()
        if not urls:
            return render.notice_html("Paste a web address first.", "warn"), *self.view()
        if self.fetch is None:
            return render.notice_html("Adding pages is not set up.", "warn"), *self.view()
        fetch = self.fetch
        return self._ingesting(
            lambda: self.knowledge.ingest_urls(urls, fetch, progress=progress),
            "the page",
            "adding a web page failed",
        )

    def _ingesting(
        self, ingest: Callable[[], IngestReport], what: str, log_message: str
    ) -> tuple[str, str, Choices]:
        """Run one ingest: its per-item results, or one error line, then *view()."""
        try:
            report = ingest()
        except AssistantError as exc:
            return render.error_html(str(exc)), *self.view()
        except Exception:  # one line for the reader; the traceback goes to the server log
            log.exception(log_message)
            failed = f"Adding {what} failed (details in the server log); please try again."
            return render.error_html(failed), *self.view()
        return render.ingest_html(report), *self.view()

    def ask_remove(self, document_id: str | None) -> tuple[bool, str, str]:
        """(show the confirmation, its question, a notice) for removing a document."""
        if not document_id:
            return False, "", render.notice_html("Choose a document to remove.", "warn")
        records = self.knowledge.documents()
        record = next((r for r in records if r.document_id == document_id), None)
        if record is None:
            return False, "", render.notice_html("That document is already gone.", "warn")
        question = (
            f'<p class="confirm-text">Remove <b>{render.esc(record.title)}</b> and its '
            f"{render.plural(record.chunks, 'chunk')}? It will no longer be used in answers.</p>"
        )
        return True, question, ""

    def remove(self, document_id: str | None) -> tuple[bool, str, str, Choices]:
        """Remove a document; (confirmation hidden, the outcome, *view())."""
        if not document_id:
            return False, render.notice_html("Choose a document to remove.", "warn"), *self.view()
        try:
            record = self.knowledge.remove(document_id)
        except AssistantError as exc:
            return False, render.error_html(str(exc)), *self.view()
        message = f"Removed “{record.title or document_id}” ({record.chunks} chunks)."
        return False, render.notice_html(message), *self.view()
