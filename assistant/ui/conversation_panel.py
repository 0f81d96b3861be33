"""The Chat tab's side panel of kept conversations: its components, its Gradio events, its wiring.

What each event does is `ConversationHandler`'s (ui/conversations.py, plain values); this module
turns those values into Gradio updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.ui import render
from assistant.ui.conversations import ConversationHandler, Message
from assistant.ui.session import ChatSession

# Gradio encrypts a BrowserState in localStorage with this key. It is sent to the page, so it
# hides nothing from the reader; fixed, so a restarted server still reads what browsers kept.
BROWSER_STORAGE_KEY = "assistant-reader"
BROWSER_SECRET = "assistant-reader-id"
PRIVATE: dict[str, Any] = {"api_visibility": "private"}  # every page event (app.py's too)
LIST_INFO = "Kept for you; pick one to reopen and continue it."
EXPORT_REFRESH = 1200.0  # seconds; well under the hour after which Gradio deletes temp files


@dataclass
class ConversationPanel:
    """The side list of conversations and what acts on the open one."""

    listing: Any
    export: Any
    delete: Any
    confirm_box: Any
    confirm_text: Any
    confirm_button: Any
    cancel_button: Any
    notice: Any


def conversation_panel() -> ConversationPanel:
    """The list (first question and date, the latest first), Export and Delete."""
    listing = gr.Radio(
        label="Conversations",
        info=LIST_INFO,
        choices=[],
        value=None,
        elem_id="conversation-list",
    )
    with gr.Row():
        export = gr.DownloadButton(
            "Export as Markdown",
            value=None,
            interactive=False,
            size="sm",
            elem_id="export-conversation",
        )
        delete = gr.Button("Delete", size="sm", elem_id="delete-conversation")
    with gr.Group(visible=False, elem_id="delete-confirm") as confirm_box:
        confirm_text = gr.HTML()
        with gr.Row():
            confirm_button = gr.Button("Delete it", variant="stop", size="sm", elem_id="delete-yes")
            cancel_button = gr.Button("Keep it", size="sm", elem_id="delete-no")
    notice = gr.HTML(elem_id="conversation-notice")
    return ConversationPanel(
        listing, export, delete, confirm_box, confirm_text, confirm_button, cancel_button, notice
    )


@dataclass
class ConversationEvents:
    """ConversationHandler's results as Gradio updates."""

    handler: ConversationHandler

    def listing(self, session: ChatSession) -> Any:
        choices, current, total = self.handler.listing(session)
        info = LIST_INFO if total <= len(choices) else f"The latest {len(choices)} of {total}."
        return gr.update(choices=choices, value=current, info=info, interactive=True)

    def export(self, session: ChatSession) -> Any:
        path = self.handler.export(session)
        return gr.update(value=path, interactive=path is not None)

    def refresh_export(self, session: ChatSession) -> Any:
        """The open conversation's export written again (Gradio deletes files of its temp
        folder an hour old: a reader who waits longer must still get the file)."""
        return self.export(session) if session.conversation_id else gr.skip()

    @staticmethod
    def busy() -> tuple[Any, Any, Any]:
        """While an answer streams: the list, Export and Delete wait for it."""
        return (gr.update(interactive=False),) * 3

    def settled(self, session: ChatSession) -> tuple[Any, Any, Any]:
        """After an answer: the list with the conversation it was kept in, its export, Delete."""
        return self.listing(session), self.export(session), gr.update(interactive=True)

    def open_page(
        self, browser_id: object, session: ChatSession, request: gr.Request
    ) -> tuple[str, ChatSession, Any]:
        """Who the reader is (their login, else their browser's id) and their conversations."""
        kept, owner = self.handler.reader(getattr(request, "username", None), browser_id)
        session.owner = owner
        return kept, session, self.listing(session)

    def reopen(
        self, conversation_id: str | None, session: ChatSession
    ) -> tuple[list[Message], ChatSession, Any, Any, str, Any]:
        """(messages, session, feedback box hidden, export, notice, the list)."""
        messages, session, notice = self.handler.reopen(session, conversation_id)
        hidden = gr.update(visible=False)
        return messages, session, hidden, self.export(session), notice, self.listing(session)

    def ask_delete(self, session: ChatSession) -> tuple[Any, str, str]:
        """(show the confirmation, its question, a notice)."""
        title = self.handler.title(session)
        if title is None:
            return (
                gr.update(visible=False),
                "",
                "<p class='muted'>No kept conversation is open.</p>",
            )
        question = f'<p class="delete-text">Delete “{render.esc(title)}”? It cannot be undone.</p>'
        return gr.update(visible=True), question, ""

    def do_delete(
        self, session: ChatSession
    ) -> tuple[Any, list[Message], ChatSession, Any, Any, str]:
        """(confirmation hidden, no messages, a new session, the list, export, what happened)."""
        session, notice = self.handler.delete(session)
        return (
            gr.update(visible=False),
            [],
            session,
            self.listing(session),
            self.export(session),
            notice,
        )


def wire_conversations(
    events: ConversationEvents,
    panel: ConversationPanel,
    app: gr.Blocks,
    chatbot: Any,
    feedback_box: Any,
    question: Any,
    session: Any,
) -> None:
    """Loading the reader's list, reopening, deleting with a confirmation."""
    browser = gr.BrowserState(None, storage_key=BROWSER_STORAGE_KEY, secret=BROWSER_SECRET)
    app.load(events.open_page, [browser, session], [browser, session, panel.listing], **PRIVATE)
    reopened = [chatbot, session, feedback_box, panel.export, panel.notice, panel.listing]
    panel.listing.input(events.reopen, [panel.listing, session], reopened, **PRIVATE).then(
        lambda: "", None, question, **PRIVATE
    )
    confirm = [panel.confirm_box, panel.confirm_text, panel.notice]
    panel.delete.click(events.ask_delete, [session], confirm, **PRIVATE)
    deleted = [panel.confirm_box, chatbot, session, panel.listing, panel.export, panel.notice]
    panel.confirm_button.click(events.do_delete, [session], deleted, **PRIVATE)
    panel.cancel_button.click(lambda: gr.update(visible=False), None, panel.confirm_box, **PRIVATE)
    gr.Timer(EXPORT_REFRESH).tick(events.refresh_export, [session], [panel.export], **PRIVATE)
