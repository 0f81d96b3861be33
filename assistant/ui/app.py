"""The Gradio page: its layout, and the wiring of its events to the handlers.

What each event does is in `handlers.py` (the page) and `api.py` (the named endpoints), in plain
values; `PageEvents` turns Gradio's event data into those values and the results into Gradio
updates. Per-reader state (the conversation and its answers) lives in `gr.State`, never in this
module. Every string a reader sees that came from a document or a question is escaped by
`render`, and the Chatbot shows messages with markdown off, so source text never becomes markup.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.chats.store import ConversationStore
from assistant.documents.web import WebFetcher
from assistant.knowledge import ProgressFn
from assistant.runtime import Runtime
from assistant.ui import render
from assistant.ui.api import ApiHandler
from assistant.ui.conversation_panel import (
    PRIVATE,
    ConversationEvents,
    ConversationPanel,
    conversation_panel,
    wire_conversations,
)
from assistant.ui.conversations import ConversationHandler
from assistant.ui.feedback import FEEDBACK_FILE, FeedbackLog
from assistant.ui.handlers import (
    READING,
    ChatHandler,
    ChatUpdate,
    FeedbackHandler,
    KnowledgeHandler,
    Message,
)
from assistant.ui.knowledge_tab import KnowledgeTab, knowledge_tab
from assistant.ui.session import ChatSession, SourceContexts
from assistant.ui.uploads import UploadInbox

EXAMPLES = [
    "How much will Japan's defence budget grow by 2027?",
    "What is the Official Security Assistance framework?",
    "Which multilateral groupings is Japan part of?",
    "What military exercises has Japan held with other countries?",
]
PLACEHOLDER = (
    "### Ask the knowledge base\n"
    "Every claim in an answer carries a numbered citation. Open a source to see the exact "
    "sentence highlighted in its passage."
)
HEADER = (
    '<header class="app-header"><div class="brand">'
    '<span class="brand-mark">❝</span><div><h1>Knowledge assistant</h1>'
    "<p>Answers from the curated sources on Japan and a second Trump term. "
    "Every claim carries a numbered citation you can check.</p></div></div></header>"
)
INGEST: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1}


def _shown(visible: bool) -> Any:
    return gr.update(visible=visible)


def _choices(choices: list[tuple[str, str]]) -> Any:
    return gr.update(choices=choices, value=None)


def _progress_to(bar: gr.Progress) -> ProgressFn:
    """An ingest's progress reports shown on Gradio's progress bar."""

    def step(done: int, total: int, what: str) -> None:
        if what == READING:
            bar(0.0, desc="Reading files")
            return
        desc = "Embedding" if what == "embedding" else f"Embedding {what}"
        bar((done, max(total, 1)), desc=desc, unit="chunks")

    return step


@dataclass
class PageEvents:
    """The handlers as Gradio event functions: event data in, component updates out."""

    chat: ChatHandler
    feedback: FeedbackHandler
    knowledge: KnowledgeHandler
    conversations: ConversationEvents

    def respond(
        self,
        question: str,
        messages: list[Message],
        session: ChatSession,
        sources: list[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """The answer as it streams, then the side list and the export of the conversation it
        was kept in."""
        last: ChatUpdate | None = None
        for last in self.chat.respond(question, messages, session, sources):
            yield *last, *self.conversations.busy()
        if last is not None:
            yield *last, *self.conversations.settled(last[2])

    def source_filter(self, chosen: list[str] | None) -> Any:
        choices, kept = self.chat.source_choices(chosen)
        return gr.update(choices=choices, value=kept)

    def new_conversation(
        self, session: ChatSession
    ) -> tuple[list[Message], ChatSession, str, Any, Any, Any]:
        messages, session, question, visible = self.chat.new_conversation(session)
        kept = self.conversations
        return (
            messages,
            session,
            question,
            _shown(visible),
            kept.listing(session),
            kept.export(session),
        )

    def pick_example(self, data: gr.SelectData) -> str:
        return self.chat.example_text(data.value)

    def on_like(self, session: ChatSession, data: gr.LikeData) -> tuple[ChatSession, Any, str]:
        session, visible, note = self.feedback.rate(session, data.index, data.liked)
        return session, _shown(visible), note

    def send_comment(self, comment: str, session: ChatSession) -> tuple[ChatSession, Any, str, str]:
        session, visible, note, box = self.feedback.comment(comment, session)
        return session, _shown(visible), note, box

    def feedback_view(self) -> tuple[str, Any]:
        summary, draft = self.feedback.view()
        return summary, gr.update(value=draft, visible=draft is not None)

    def kb_view(self) -> tuple[str, Any]:
        table, choices = self.knowledge.view()
        return table, _choices(choices)

    def upload_files(
        self, files: list[str] | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, Any, None]:
        result, table, choices = self.knowledge.upload(files, _progress_to(progress))
        return result, table, _choices(choices), None

    def add_pages(
        self, text: str | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, Any, str]:
        result, table, choices = self.knowledge.add_pages(text, _progress_to(progress))
        return result, table, _choices(choices), ""

    def ask_remove(self, document_id: str | None) -> tuple[Any, str, str]:
        visible, question, notice = self.knowledge.ask_remove(document_id)
        return _shown(visible), question, notice

    def do_remove(self, document_id: str | None) -> tuple[Any, str, str, Any]:
        visible, result, table, choices = self.knowledge.remove(document_id)
        return _shown(visible), result, table, _choices(choices)

    @staticmethod
    def hide() -> Any:
        return _shown(False)


def page_events(runtime: Runtime) -> tuple[PageEvents, ApiHandler]:
    """The handlers over a runtime; makes the upload folder Gradio's (before gr.Blocks)."""
    settings, knowledge = runtime.settings, runtime.knowledge
    inbox = UploadInbox.from_settings(settings)
    contexts = SourceContexts(knowledge)

    def render_answer(answer: Any) -> str:
        return render.answer_html(
            answer, contexts(answer), hide_unsupported=settings.hide_unsupported
        )

    conversations = ConversationHandler(
        # resolved, as the upload folder is: the exports are served from inside it
        ConversationStore.in_data_dir(settings.data_dir.resolve()),
        max_history_turns=settings.max_history_turns,
    )
    chat = ChatHandler(
        runtime.chain,
        render_answer,
        max_question_chars=settings.max_question_chars,
        max_history_turns=settings.max_history_turns,
        kept_passages=settings.k,
        records=knowledge.documents,
        keep=conversations.keep,
    )
    feedback = FeedbackHandler(
        FeedbackLog(settings.data_dir / FEEDBACK_FILE), exports=inbox.folder / "exports"
    )
    fetch = WebFetcher.from_settings(settings, from_web_page=True).fetch
    knowledge_handler = KnowledgeHandler(knowledge, inbox, fetch)
    events = PageEvents(chat, feedback, knowledge_handler, ConversationEvents(conversations))
    api = ApiHandler(runtime.chain, knowledge, settings.max_history_turns, settings.max_file_bytes)
    return events, api


@dataclass
class ChatTab:
    """The Chat tab's components that events read or change."""

    chatbot: Any
    question: Any
    send: Any
    clear: Any
    feedback_box: Any
    feedback_note: Any
    comment: Any
    comment_send: Any
    sources: Any  # the "search only these sources" filter (document ids)
    kept: ConversationPanel  # the side list of kept conversations


def chat_tab() -> ChatTab:
    """The kept conversations beside the open one."""
    with gr.Row(elem_id="chat-layout", equal_height=False):
        with gr.Column(scale=1, min_width=240, elem_id="conversation-panel"):
            kept = conversation_panel()
        with gr.Column(scale=4, elem_id="chat-main"):
            return _chat_main(kept)


def _chat_main(kept: ConversationPanel) -> ChatTab:
    """The conversation, the question box, and the box for a comment on a rating."""
    chatbot = gr.Chatbot(
        elem_id="chatbot",
        show_label=False,
        height="62vh",
        render_markdown=False,
        sanitize_html=True,
        latex_delimiters=[],
        placeholder=PLACEHOLDER,
        examples=[{"text": q} for q in EXAMPLES],
        buttons=[],
        layout="bubble",
    )
    with gr.Row(elem_id="composer", equal_height=True):
        question = gr.Textbox(
            placeholder="Ask a question about the sources…",
            show_label=False,
            lines=1,
            max_lines=4,
            scale=6,
            elem_id="question",
            autofocus=True,
        )
        send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="ask-button")
        clear = gr.Button(
            "New conversation",
            variant="secondary",
            scale=1,
            min_width=200,
            elem_id="new-conversation",
        )
    sources = gr.Dropdown(
        label="Search only these sources",
        info="None chosen: the whole knowledge base.",
        choices=[],
        value=[],
        multiselect=True,
        elem_id="source-filter",
        interactive=True,
    )
    return ChatTab(chatbot, question, send, clear, *_feedback_box(), sources, kept)


def _feedback_box() -> tuple[Any, Any, Any, Any]:
    """The box for a comment on a rating: (the box, its note, the comment, its button)."""
    with gr.Group(visible=False, elem_id="feedback-box") as feedback_box:
        feedback_note = gr.HTML()
        with gr.Row(equal_height=True):
            comment = gr.Textbox(
                placeholder="Optional comment: what was right or wrong?",
                show_label=False,
                scale=6,
                elem_id="feedback-comment",
            )
            comment_send = gr.Button(
                "Send comment", scale=1, min_width=160, elem_id="feedback-send"
            )
    return feedback_box, feedback_note, comment, comment_send


def wire_chat(events: PageEvents, chat: ChatTab, session: Any) -> None:
    """Asking (the box, the button, an example), starting over, rating and commenting."""
    asked = [chat.question, chat.chatbot, session]
    kept = [chat.kept.listing, chat.kept.export, chat.kept.delete]
    chat_io = ([*asked, chat.sources], [*asked, *kept])
    chat.question.submit(events.respond, *chat_io, **PRIVATE)
    chat.send.click(events.respond, *chat_io, **PRIVATE)
    chat.chatbot.example_select(events.pick_example, None, chat.question, **PRIVATE).then(
        events.respond, *chat_io, **PRIVATE
    )
    reset = [chat.chatbot, session, chat.question, chat.feedback_box]
    reset += [chat.kept.listing, chat.kept.export]
    chat.clear.click(events.new_conversation, [session], reset, **PRIVATE)
    chat.chatbot.clear(events.new_conversation, [session], reset, **PRIVATE)
    rated = [session, chat.feedback_box, chat.feedback_note]
    chat.chatbot.like(events.on_like, [session], rated, **PRIVATE)
    feedback_io = ([chat.comment, session], [*rated, chat.comment])
    chat.comment.submit(events.send_comment, *feedback_io, **PRIVATE)
    chat.comment_send.click(events.send_comment, *feedback_io, **PRIVATE)


def wire_knowledge(events: PageEvents, app: gr.Blocks, kb: KnowledgeTab) -> None:
    """Showing the documents and feedback, uploading, adding a page, and removing with a
    confirmation."""
    listing = [kb.documents, kb.doc_choice]
    feedback_out = [kb.feedback_summary, kb.feedback_download]
    for view, shown in ((events.kb_view, listing), (events.feedback_view, feedback_out)):
        app.load(view, None, shown, **PRIVATE)
        kb.tab.select(view, None, shown, **PRIVATE)
    kb.upload_button.click(
        events.upload_files,
        [kb.files],
        [kb.upload_result, *listing, kb.files],
        show_progress_on=[kb.upload_result],
        **INGEST,
        **PRIVATE,
    )
    page_io = ([kb.page_url], [kb.page_result, *listing, kb.page_url])
    for add_page in (kb.page_button.click, kb.page_url.submit):
        add_page(
            events.add_pages,
            *page_io,
            show_progress_on=[kb.page_result],
            **INGEST,
            **PRIVATE,
        )
    confirm = [kb.confirm_box, kb.confirm_text, kb.remove_result]
    kb.remove_button.click(events.ask_remove, [kb.doc_choice], confirm, **PRIVATE)
    removed = [kb.confirm_box, kb.remove_result, *listing]
    kb.confirm_button.click(events.do_remove, [kb.doc_choice], removed, **INGEST, **PRIVATE)
    kb.cancel_button.click(events.hide, None, kb.confirm_box, **PRIVATE)


def build_app(runtime: Runtime) -> gr.Blocks:
    """The whole page: Chat tab, Knowledge base tab, and the named API endpoints."""
    events, api = page_events(runtime)  # before gr.Blocks: it makes the upload folder Gradio's
    with gr.Blocks(title="Assistant — cited answers", delete_cache=(3600, 3600)) as app:
        session = gr.State(ChatSession())
        gr.HTML(HEADER, elem_id="app-header")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat", elem_id="chat-tab"):
                chat = chat_tab()
            with gr.Tab("Knowledge base", id="kb", elem_id="kb-tab") as tab:
                kb = knowledge_tab(tab, runtime.settings.max_file_mb)
        wire_chat(events, chat, session)
        wire_conversations(
            events.conversations,
            chat.kept,
            app,
            chat.chatbot,
            chat.feedback_box,
            chat.question,
            session,
        )
        wire_knowledge(events, app, kb)
        # the filter lists the documents the Knowledge base tab shows, whenever that list changes
        kb.documents.change(events.source_filter, [chat.sources], [chat.sources], **PRIVATE)
        gr.api(api.ask, api_name="ask")
        gr.api(api.documents, api_name="documents")
        gr.api(api.upload, api_name="upload", **INGEST)
        gr.api(api.remove, api_name="remove", **INGEST)
    return app


def create_app(runtime: Runtime) -> gr.Blocks:
    """The app with its queue set up: several readers at once, uploads in their own lane."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    runtime.knowledge.bm25()  # load the index and model before the first reader arrives
    return build_app(runtime).queue(default_concurrency_limit=4)
