"""The web page's kept conversations: whose they are, the side list, reopening, deleting, export.

Plain values in and out (tested without Gradio); `app.py` wires them. A reader is the login's
user name when the page has a login, otherwise the random id their browser keeps (Gradio's
BrowserState); `assistant/chats/store.py` keeps the files and makes sure one reader never
reaches another's conversations.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from assistant.chats.markdown import conversation_markdown
from assistant.chats.store import (
    Conversation,
    ConversationNotFound,
    ConversationStore,
    ConversationSummary,
    browser_owner,
    new_browser_id,
    user_owner,
)
from assistant.errors import AssistantError
from assistant.serialise import history_json
from assistant.source_label import MONTHS
from assistant.types import Answer, Turn
from assistant.ui import render
from assistant.ui.session import ChatSession, Exchange

log = logging.getLogger(__name__)

Choices = list[tuple[str, str]]  # (label, conversation id)
Message = dict[str, str]
_BROWSER_ID = re.compile(r"[0-9a-f]{32}")
SHOWN = 100  # conversations in the side list, the most recent first


def list_label(summary: ConversationSummary) -> str:
    """ "First question · 2 Dec 11:30" (the time of its last answer, UTC)."""
    try:
        moment = datetime.fromisoformat(summary.updated)
    except ValueError:
        return f"{summary.title} · {summary.updated}"
    return f"{summary.title} · {moment.day} {MONTHS[moment.month - 1][:3]} {moment:%H:%M}"


@dataclass
class ConversationHandler:
    """A reader's kept conversations on the page."""

    store: ConversationStore  # its exports folder must be one Gradio serves files from
    max_history_turns: int

    @staticmethod
    def reader(username: str | None, browser_id: object) -> tuple[str, str]:
        """(the browser id to keep, the owner): the login's user, else this browser's id (a new
        one when it has none or one that is not ours)."""
        kept = (
            browser_id if isinstance(browser_id, str) and _BROWSER_ID.fullmatch(browser_id) else ""
        )
        kept = kept or new_browser_id()
        return kept, user_owner(username) if username else browser_owner(kept)

    def listing(self, session: ChatSession) -> tuple[Choices, str | None, int]:
        """The side list's choices (the SHOWN latest), the one open now (None: a new
        conversation), and how many the reader has in all."""
        if session.owner is None:
            return [], None, 0
        summaries = self.store.summaries(session.owner)
        shown = summaries[:SHOWN]
        ids = {s.id for s in shown}
        current = session.conversation_id if session.conversation_id in ids else None
        return [(list_label(s), s.id) for s in shown], current, len(summaries)

    def keep(self, session: ChatSession, question: str, answer: Answer, html: str) -> None:
        """Keep an answered question in the reader's open conversation (a new one if none).
        A failure to keep is logged, never a reason to lose the answer on the page."""
        if session.owner is None:
            return
        try:
            kept = self.store.append(session.owner, session.conversation_id, question, answer, html)
        except AssistantError:
            log.exception("keeping the conversation failed")
            return
        session.conversation_id = kept.id

    def reopen(
        self, session: ChatSession, conversation_id: str | None
    ) -> tuple[list[Message], ChatSession, str]:
        """The messages of a kept conversation and a session continuing it, and a notice (""
        when it opened; otherwise the page keeps what it shows)."""
        if session.owner is None or not conversation_id:
            return [], session, ""
        try:
            conversation = self.store.load(session.owner, conversation_id)
        except ConversationNotFound:
            return [], session.fresh(), render.notice_html("That conversation is gone.", "warn")
        return self.messages(conversation), self.continuing(session, conversation), ""

    @staticmethod
    def messages(conversation: Conversation) -> list[Message]:
        shown: list[Message] = []
        for e in conversation.exchanges:
            html = (
                e.html
                or f'<div class="answer"><p class="answer-text">{render.esc(e.text)}</p></div>'
            )
            shown += [
                {"role": "user", "content": render.user_html(e.question)},
                {"role": "assistant", "content": html},
            ]
        return shown

    def continuing(self, session: ChatSession, conversation: Conversation) -> ChatSession:
        """A session whose next question follows `conversation`, its answers ratable again
        (each with the turns before it, as a rating of a live answer has)."""
        resumed = session.fresh()
        resumed.conversation_id = conversation.id
        turns = conversation.turns()
        resumed.turns = self._latest(turns)
        for i, e in enumerate(conversation.exchanges):
            before = self._latest(turns[: 2 * i])
            resumed.exchanges[2 * i + 1] = Exchange(
                question=e.question,
                answer=e.text,
                citations=list(e.answer.get("citations") or []),
                abstained=bool(e.answer.get("abstained")),
                history=history_json(before),
            )
        return resumed

    def _latest(self, turns: list[Turn]) -> list[Turn]:
        """The last max_history_turns of `turns`, as a live session keeps them (none for 0)."""
        return turns[max(0, len(turns) - self.max_history_turns) :]

    def title(self, session: ChatSession) -> str | None:
        """The open conversation's title (None: nothing kept is open)."""
        if session.owner is None or session.conversation_id is None:
            return None
        try:
            return self.store.load(session.owner, session.conversation_id).title
        except ConversationNotFound:
            return None

    def delete(self, session: ChatSession) -> tuple[ChatSession, str]:
        """Delete the open conversation; (a new session, what happened)."""
        if session.owner is None or session.conversation_id is None:
            return session, render.notice_html("No kept conversation is open.", "warn")
        title = self.title(session) or ""
        try:
            self.store.delete(session.owner, session.conversation_id)
        except AssistantError as exc:
            return session, render.error_html(str(exc))
        return session.fresh(), render.notice_html(f"Deleted “{title}”.")

    def export(self, session: ChatSession) -> str | None:
        """The open conversation written as Markdown for download (its path), or None."""
        if session.owner is None or session.conversation_id is None:
            return None
        try:
            path = self.store.export(session.owner, session.conversation_id, conversation_markdown)
        except AssistantError as exc:  # ConversationNotFound included: nothing to download
            log.warning("no export: %s", exc)
            return None
        return str(path)
