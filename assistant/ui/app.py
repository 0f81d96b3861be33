"""The Gradio app: a chat whose cited answers stream in, and a knowledge base tab to grow it.

Per-reader state (the conversation and its answers) lives in `gr.State`, never in this module.
Every string a reader sees that came from a document or a question is escaped by `render`, and
the Chatbot shows messages with markdown off, so source text can never become markup.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.config import Settings
from assistant.conversation import clean_question
from assistant.errors import AssistantError, BadQuestion
from assistant.evaluation.from_feedback import draft_set, read_feedback, select
from assistant.knowledge import FileResult, IngestReport, KnowledgeBase
from assistant.runtime import Runtime
from assistant.types import Answer, Chunk, Turn
from assistant.ui import render
from assistant.ui.feedback import FEEDBACK_FILE, FeedbackEntry, FeedbackLog, Rating, utc_now
from assistant.ui.guard import allowed_host_names, guard_middleware, is_loopback, megabytes

log = logging.getLogger(__name__)
CSS_FILE = Path(__file__).with_name("style.css")
JS_FILE = Path(__file__).with_name("page.js")
UPLOAD_FOLDER = "uploads"  # in the data directory: Gradio's temp folder for this app
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
Message = dict[str, Any]


@dataclass
class Exchange:
    """One answered question, kept so feedback can say what was rated."""

    question: str
    answer: str
    citations: list[dict[str, Any]]
    abstained: bool
    history: list[dict[str, str]] = field(default_factory=list)  # the turns before the question
    retrieved: list[dict[str, str]] = field(default_factory=list)  # the passages it read


@dataclass
class ChatSession:
    """One reader's conversation: the turns the chain sees and the answers shown to them."""

    turns: list[Turn] = field(default_factory=list)
    exchanges: dict[int, Exchange] = field(default_factory=dict)  # chatbot index -> exchange
    pending: FeedbackEntry | None = None  # the last rating, waiting for an optional comment


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` -> (user, password); empty -> None; anything else is a one-line error."""
    if value is None or value == "":
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise AssistantError("ASSISTANT_AUTH must look like user:password (both parts non-empty)")
    return user, password


def history_turns(messages: object, limit: int | None = None) -> list[Turn]:
    """API history (list of {role, content}) as Turns; other entries are ignored.

    Only the last `limit` entries are looked at (the chain keeps fewer still); anything but a
    list is a BadQuestion.
    """
    if not isinstance(messages, list):
        raise BadQuestion("the history must be a list of {role, content} turns")
    turns: list[Turn] = []
    for m in messages if limit is None else messages[max(0, len(messages) - limit) :]:
        if not isinstance(m, dict):
            continue
        content = m.get("content")
        if m.get("role") in ("user", "assistant") and isinstance(content, str):
            turns.append(Turn(m["role"], content))
    return turns


class SourceContexts:
    """The text around cited passages, from each document's neighbouring chunks.

    A document's chunks are fetched once per version (the registry's sha256) and kept for the
    few most recently cited documents, so a long document is not re-read for every answer.
    """

    def __init__(self, knowledge: KnowledgeBase, keep: int = 8) -> None:
        self.knowledge = knowledge
        self.keep = keep
        self._cache: OrderedDict[tuple[str, str], list[Chunk]] = OrderedDict()
        self._lock = threading.Lock()

    def _chunks(self, document_id: str) -> list[Chunk]:
        record = self.knowledge.registry.get(document_id)
        key = (document_id, record.sha256 if record is not None else "")
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        chunks = self.knowledge.document_chunks(document_id)
        with self._lock:
            self._cache[key] = chunks
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return chunks

    def __call__(self, answer: Answer) -> dict[str, render.SourceContext]:
        contexts: dict[str, render.SourceContext] = {}
        for c in answer.citations:
            try:
                chunks = self._chunks(c.document_id)
            except Exception:  # the panel is a convenience: never lose the answer over it
                log.exception("reading the chunks of %s failed", c.document_id)
                continue
            contexts[c.chunk_id] = render.neighbours(chunks, c.chunk_id)
        return contexts


def upload_folder(settings: Settings) -> Path:
    """This app's own folder for uploaded files, made Gradio's temp folder (GRADIO_TEMP_DIR).

    Gradio reads the variable when the page is built and launched and when it checks a file
    path sent with an event, so one process serves one app's uploads.
    """
    folder = (settings.data_dir / UPLOAD_FOLDER).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def _size(path: Path) -> int:
    """A file's size, 0 when it cannot be read (read_uploads then reports it as unreadable)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_uploads(
    paths: list[str],
    max_bytes: int,
    *,
    upload_dir: Path | None = None,
    max_total: int | None = None,
) -> tuple[list[tuple[str, bytes]], list[FileResult]]:
    """(original name, bytes) of each uploaded temp file; too-large files rejected unread.

    The temp files are Gradio's; their names are only labels and they are deleted once read.
    With `upload_dir`, a path outside it (a file this app never received) refuses the whole
    upload and is left alone; with `max_total`, so do files larger than it together. Refusals
    are AssistantErrors (one line); nothing is read then.
    """
    files = [Path(raw) for raw in paths]
    ours = files
    if upload_dir is not None:
        root = upload_dir.resolve()
        ours = [f for f in files if f.resolve().is_relative_to(root)]
    try:
        foreign = next((f for f in files if f not in ours), None)
        if foreign is not None:
            raise AssistantError(
                f"'{foreign.name}' is not a file uploaded to this page; nothing was added"
            )
        total = sum(_size(f) for f in files) if max_total is not None else 0
        if max_total is not None and total > max_total:
            raise AssistantError(
                f"these files come to {megabytes(total)} MB together; one upload may hold "
                f"{megabytes(max_total)} MB; nothing was added"
            )
        items: list[tuple[str, bytes]] = []
        rejected: list[FileResult] = []
        for path in files:
            name = path.name or "upload"
            try:
                size = path.stat().st_size
                if size > max_bytes:
                    limit = max_bytes / (1024 * 1024)
                    rejected.append(
                        FileResult(name, "rejected", f"larger than the {limit:g} MB upload limit")
                    )
                else:
                    items.append((name, path.read_bytes()))
            except OSError as exc:
                rejected.append(
                    FileResult(name, "rejected", f"could not read the upload ({exc.strerror})")
                )
        return items, rejected
    finally:
        for path in ours:
            with contextlib.suppress(OSError):
                path.unlink()


def build_app(runtime: Runtime) -> gr.Blocks:
    """The whole page: Chat tab, Knowledge base tab, and the named API endpoints."""
    settings = runtime.settings
    knowledge = runtime.knowledge
    chain = runtime.chain
    feedback_log = FeedbackLog(settings.data_dir / FEEDBACK_FILE)
    max_bytes = settings.max_file_bytes
    uploads = upload_folder(settings)  # before gr.Blocks: Gradio reads it there

    contexts = SourceContexts(knowledge)

    def render_answer(answer: Answer) -> str:
        return render.answer_html(
            answer,
            contexts(answer),
            hide_unsupported=settings.hide_unsupported,
        )

    # ---- chat ----

    def respond(
        question: str, messages: list[Message], session: ChatSession
    ) -> Iterator[tuple[str, list[Message], ChatSession]]:
        if not question.strip():
            yield "", messages, session
            return
        try:
            clean_question(question, settings.max_question_chars)
        except BadQuestion as exc:  # refused before the question is shown back
            refused = {"role": "assistant", "content": render.error_html(str(exc))}
            yield question, [*messages, refused], session
            return
        shown = [*messages, {"role": "user", "content": render.user_html(question)}]
        yield "", [*shown, {"role": "assistant", "content": render.pending_html("")}], session
        text = ""
        try:
            for item in chain.stream(question, list(session.turns)):
                if isinstance(item, Answer):
                    final = [*shown, {"role": "assistant", "content": render_answer(item)}]
                    before = [{"role": t.role, "content": t.content} for t in session.turns]
                    session.turns.extend([Turn("user", question), Turn("assistant", item.text)])
                    excess = len(session.turns) - settings.max_history_turns
                    if excess > 0:
                        del session.turns[:excess]
                    session.exchanges[len(final) - 1] = Exchange(
                        question=question,
                        answer=item.text,
                        citations=[c.to_json() for c in item.citations],
                        abstained=item.abstained,
                        history=before,
                        retrieved=[
                            {
                                "chunk_id": hit.chunk.chunk_id,
                                "document_id": hit.chunk.document_id,
                                "source": hit.chunk.source,
                                "text": hit.chunk.text,
                            }
                            for hit in item.retrieved[: settings.k]
                        ],
                    )
                    yield "", final, session
                else:
                    text += item
                    pending = {"role": "assistant", "content": render.pending_html(text)}
                    yield "", [*shown, pending], session
        except AssistantError as exc:
            yield (
                question,
                [*shown, {"role": "assistant", "content": render.error_html(str(exc))}],
                session,
            )
        except Exception:  # a reader sees one line; the traceback goes to the server log
            log.exception("answering %r failed", question)
            failed = render.error_html("Something went wrong answering this; please try again.")
            yield question, [*shown, {"role": "assistant", "content": failed}], session

    def new_conversation() -> tuple[list[Message], ChatSession, str, Any]:
        return [], ChatSession(), "", gr.update(visible=False)

    def pick_example(data: gr.SelectData) -> str:
        value = data.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def on_like(session: ChatSession, data: gr.LikeData) -> tuple[ChatSession, Any, str]:
        index = data.index if isinstance(data.index, int) else data.index[0]
        exchange = session.exchanges.get(index)
        if exchange is None or data.liked not in (True, False):
            session.pending = None
            return session, gr.update(visible=False), ""
        rating: Rating = "up" if data.liked is True else "down"
        entry = FeedbackEntry(
            question=exchange.question,
            answer=exchange.answer,
            citations=exchange.citations,
            rating=rating,
            abstained=exchange.abstained,
            history=exchange.history,
            retrieved=exchange.retrieved,
        )
        feedback_log.append(entry)
        session.pending = entry
        thanks = (
            "Thanks — noted as helpful." if rating == "up" else "Thanks — noted as not helpful."
        )
        return session, gr.update(visible=True), render.notice_html(thanks + " Add a comment?")

    def send_comment(comment: str, session: ChatSession) -> tuple[ChatSession, Any, str, str]:
        entry = session.pending
        if entry is not None and comment.strip():
            entry.comment = comment.strip()[:4000]
            entry.time = utc_now()
            feedback_log.append(entry)
        session.pending = None
        return session, gr.update(visible=False), "", ""

    # ---- knowledge base ----

    def kb_view() -> tuple[str, Any]:
        records = knowledge.documents()
        choices = [(f"{r.title} ({r.document_id})", r.document_id) for r in records]
        return (
            render.documents_html(records, knowledge.chunk_count()),
            gr.update(choices=choices, value=None),
        )

    def feedback_view() -> tuple[str, Any]:
        """Feedback counts, the latest thumbs-down, and the thumbs-down as a draft question set."""
        records = read_feedback(feedback_log.path)
        down = select(records)
        if not down:
            return render.feedback_html(records), gr.update(value=None, visible=False)
        exports = uploads / "exports"
        exports.mkdir(parents=True, exist_ok=True)
        draft = exports / "feedback-draft.yaml"
        draft.write_text(draft_set(down, source=FEEDBACK_FILE), encoding="utf-8")
        return render.feedback_html(records), gr.update(value=str(draft), visible=True)

    def upload_files(
        files: list[str] | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[str, str, Any, None]:
        if not files:
            return render.notice_html("Choose one or more files first.", "warn"), *kb_view(), None
        progress(0.0, desc="Reading files")
        try:
            items, rejected = read_uploads(
                list(files), max_bytes, upload_dir=uploads, max_total=settings.max_upload_bytes
            )
        except AssistantError as exc:
            return render.error_html(str(exc)), *kb_view(), None

        def step(done: int, total: int, what: str) -> None:
            desc = "Embedding" if what == "embedding" else f"Embedding {what}"
            progress((done, max(total, 1)), desc=desc, unit="chunks")

        try:
            report = knowledge.ingest_bytes(items, progress=step) if items else IngestReport()
        except AssistantError as exc:
            return render.error_html(str(exc)), *kb_view(), None
        except Exception:  # one line for the reader; the traceback goes to the server log
            log.exception("ingesting an upload failed")
            failed = render.error_html(
                "Adding the files failed (details in the server log); please try again."
            )
            return failed, *kb_view(), None
        report.results[:0] = rejected
        return render.ingest_html(report), *kb_view(), None

    def ask_remove(document_id: str | None) -> tuple[Any, str, str]:
        if not document_id:
            return (
                gr.update(visible=False),
                "",
                render.notice_html("Choose a document to remove.", "warn"),
            )
        record = next((r for r in knowledge.documents() if r.document_id == document_id), None)
        if record is None:
            return (
                gr.update(visible=False),
                "",
                render.notice_html("That document is already gone.", "warn"),
            )
        question = (
            f'<p class="confirm-text">Remove <b>{render.esc(record.title)}</b> and its '
            f"{render.plural(record.chunks, 'chunk')}? It will no longer be used in answers.</p>"
        )
        return gr.update(visible=True), question, ""

    def do_remove(document_id: str | None) -> tuple[Any, str, str, Any]:
        if not document_id:
            return (
                gr.update(visible=False),
                render.notice_html("Choose a document to remove.", "warn"),
                *kb_view(),
            )
        try:
            record = knowledge.remove(document_id)
        except AssistantError as exc:
            return gr.update(visible=False), render.error_html(str(exc)), *kb_view()
        message = f"Removed “{record.title or document_id}” ({record.chunks} chunks)."
        return gr.update(visible=False), render.notice_html(message), *kb_view()

    # ---- API (for scripts, benchmarks and tests) ----

    def ask_api(question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Ask one question; history is a list of {role, content}. Returns `ask --json`'s object."""
        try:
            turns = history_turns(history or [], settings.max_history_turns)
            return chain.ask(question, turns).to_json()
        except AssistantError as exc:
            return {"error": str(exc)}

    def documents_api() -> dict[str, Any]:
        """The documents in the knowledge base and the number of chunks indexed."""
        # no "path" key: gradio_client would take such a dict for a file to download
        documents = [
            {
                "document_id": r.document_id,
                "title": r.title,
                "source": r.path,
                "type": r.doc_type,
                "chunks": r.chunks,
                "added": r.added,
            }
            for r in knowledge.documents()
        ]
        return {"documents": documents, "chunks": knowledge.chunk_count()}

    def upload_api(name: str, content_base64: str) -> dict[str, Any]:
        """Add one document: its file name (a label only) and its bytes in base64."""
        if len(content_base64) > (max_bytes * 4) // 3 + 4:
            limit = max_bytes / (1024 * 1024)
            return {"error": f"'{name}' is larger than the {limit:g} MB upload limit"}
        try:
            data = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError):
            return {"error": "content_base64 is not valid base64"}
        try:
            report = knowledge.ingest_bytes([(name, data)])
        except AssistantError as exc:
            return {"error": str(exc)}
        return {
            "summary": report.summary(),
            "results": [
                {
                    "name": r.name,
                    "status": r.status,
                    "reason": r.reason,
                    "document_id": r.document_id,
                    "title": r.title,
                    "chunks": r.chunks,
                }
                for r in report.results
            ],
        }

    def remove_api(document_id: str) -> dict[str, Any]:
        """Remove a document and all its chunks."""
        try:
            record = knowledge.remove(document_id)
        except AssistantError as exc:
            return {"error": str(exc)}
        return {"removed": document_id, "title": record.title, "chunks": record.chunks}

    # ---- layout ----

    with gr.Blocks(title="Assistant — cited answers", delete_cache=(3600, 3600)) as app:
        session = gr.State(ChatSession())
        gr.HTML(
            '<header class="app-header"><div class="brand">'
            '<span class="brand-mark">❝</span><div><h1>Knowledge assistant</h1>'
            "<p>Answers from the curated sources on Japan and a second Trump term. "
            "Every claim carries a numbered citation you can check.</p></div></div></header>",
            elem_id="app-header",
        )
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat", elem_id="chat-tab"):
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
                    send = gr.Button(
                        "Ask", variant="primary", scale=1, min_width=90, elem_id="ask-button"
                    )
                    clear = gr.Button(
                        "New conversation",
                        variant="secondary",
                        scale=1,
                        min_width=200,
                        elem_id="new-conversation",
                    )
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
            with gr.Tab("Knowledge base", id="kb", elem_id="kb-tab") as kb_tab:
                documents = gr.HTML(elem_id="documents")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, elem_id="add-panel"):
                        gr.HTML(
                            '<h3 class="panel-title">Add documents</h3><p class="panel-hint">'
                            f".txt, .md, .html, .pdf or .docx, up to {settings.max_file_mb:g} MB "
                            "each. A file with the same name replaces its earlier version.</p>"
                        )
                        files = gr.File(
                            # no file_types: Gradio would refuse the whole batch for one wrong
                            # file; the loader rejects it alone, with its reason
                            file_count="multiple",
                            show_label=False,
                            height=140,
                            elem_id="upload-files",
                        )
                        upload_button = gr.Button(
                            "Add to knowledge base", variant="primary", elem_id="upload-button"
                        )
                        upload_result = gr.HTML(elem_id="upload-result")
                    with gr.Column(scale=2, elem_id="remove-panel"):
                        gr.HTML(
                            '<h3 class="panel-title">Remove a document</h3><p class="panel-hint">'
                            "Its passages are deleted from the index at once.</p>"
                        )
                        doc_choice = gr.Dropdown(
                            label="Document",
                            choices=[],
                            value=None,
                            elem_id="remove-choice",
                            interactive=True,
                        )
                        remove_button = gr.Button(
                            "Remove…", variant="secondary", elem_id="remove-button"
                        )
                        with gr.Group(visible=False, elem_id="confirm-box") as confirm_box:
                            confirm_text = gr.HTML()
                            with gr.Row():
                                confirm_button = gr.Button(
                                    "Yes, remove it", variant="stop", elem_id="confirm-remove"
                                )
                                cancel_button = gr.Button("Cancel", elem_id="cancel-remove")
                        remove_result = gr.HTML(elem_id="remove-result")
                with gr.Column(elem_id="feedback-panel"):
                    gr.HTML(
                        '<h3 class="panel-title">Feedback</h3><p class="panel-hint">Thumbs-down '
                        "answers become draft evaluation items: review the file, then run "
                        "<code>assistant eval FILE</code> (the same as "
                        "<code>assistant eval from-feedback</code>).</p>"
                    )
                    feedback_summary = gr.HTML(elem_id="feedback-summary")
                    feedback_download = gr.DownloadButton(
                        "Download thumbs-down as a draft question set",
                        visible=False,
                        elem_id="feedback-download",
                    )

        chat_io = ([question, chatbot, session], [question, chatbot, session])
        private: dict[str, Any] = {"api_visibility": "private"}
        question.submit(respond, *chat_io, **private)
        send.click(respond, *chat_io, **private)
        chatbot.example_select(pick_example, None, question, **private).then(
            respond, *chat_io, **private
        )
        reset = [chatbot, session, question, feedback_box]
        clear.click(new_conversation, None, reset, **private)
        chatbot.clear(new_conversation, None, reset, **private)
        chatbot.like(on_like, [session], [session, feedback_box, feedback_note], **private)
        feedback_io = ([comment, session], [session, feedback_box, feedback_note, comment])
        comment.submit(send_comment, *feedback_io, **private)
        comment_send.click(send_comment, *feedback_io, **private)

        app.load(kb_view, None, [documents, doc_choice], **private)
        kb_tab.select(kb_view, None, [documents, doc_choice], **private)
        feedback_out = [feedback_summary, feedback_download]
        app.load(feedback_view, None, feedback_out, **private)
        kb_tab.select(feedback_view, None, feedback_out, **private)
        ingest: dict[str, Any] = {"concurrency_id": "ingest", "concurrency_limit": 1, **private}
        upload_button.click(
            upload_files,
            [files],
            [upload_result, documents, doc_choice, files],
            show_progress_on=[upload_result],
            **ingest,
        )
        remove_button.click(
            ask_remove, [doc_choice], [confirm_box, confirm_text, remove_result], **private
        )
        confirm_button.click(
            do_remove, [doc_choice], [confirm_box, remove_result, documents, doc_choice], **ingest
        )
        cancel_button.click(lambda: gr.update(visible=False), None, confirm_box, **private)

        gr.api(ask_api, api_name="ask")
        gr.api(documents_api, api_name="documents")
        gr.api(upload_api, api_name="upload", concurrency_id="ingest", concurrency_limit=1)
        gr.api(remove_api, api_name="remove", concurrency_id="ingest", concurrency_limit=1)
    return app


def theme() -> gr.themes.Base:
    """Gradio's default look with system fonts only: nothing is fetched from font servers."""
    return gr.themes.Default(
        primary_hue=gr.themes.colors.indigo,
        neutral_hue=gr.themes.colors.slate,
        font=[
            gr.themes.Font("system-ui"),
            gr.themes.Font("-apple-system"),
            "Segoe UI",
            "sans-serif",
        ],
        font_mono=[gr.themes.Font("ui-monospace"), "Menlo", "Consolas", "monospace"],
        radius_size=gr.themes.sizes.radius_md,
    )


def launch_options(runtime: Runtime, host: str | None = None) -> dict[str, Any]:
    """The launch() arguments: no share link, no analytics, size limits, and the request guard
    (host names, origins, body sizes, sign-in throttle) for a server bound to `host`."""
    settings = runtime.settings
    auth = parse_auth(settings.auth.get_secret_value() if settings.auth is not None else None)
    return {
        "app_kwargs": {"middleware": guard_middleware(settings, host or settings.host)},
        "share": False,
        "auth": auth,
        "auth_message": "Sign in to the knowledge assistant." if auth else None,
        "max_file_size": settings.max_file_bytes,
        "theme": theme(),
        "css_paths": [CSS_FILE],
        "js": JS_FILE.read_text(encoding="utf-8"),
        "footer_links": ["api"],
        "run_history": False,
        "ssr_mode": False,
        "show_error": False,
        "quiet": True,
    }


def create_app(runtime: Runtime) -> gr.Blocks:
    """The app with its queue set up: several readers at once, uploads in their own lane."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    runtime.knowledge.bm25()  # load the index and model before the first reader arrives
    return build_app(runtime).queue(default_concurrency_limit=4)


def serve(runtime: Runtime, host: str, port: int) -> None:
    """Serve the page until interrupted."""
    options = launch_options(runtime, host)  # a malformed ASSISTANT_AUTH fails before loading
    if not is_loopback(host):
        if options["auth"] is None:
            print(
                f"warning: serving on {host} without ASSISTANT_AUTH: anyone who can reach this "
                "port can read and change the knowledge base",
                file=sys.stderr,
            )
        names = ", ".join(sorted(allowed_host_names(host, runtime.settings.allowed_hosts)))
        print(
            f"note: answering only requests for {names} (ASSISTANT_ALLOWED_HOSTS adds names)",
            file=sys.stderr,
        )
    app = create_app(runtime)
    runtime.embedder.embed_query("warm up")
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving the assistant on http://{shown}:{port} (Ctrl+C to stop)", flush=True)
    app.launch(server_name=host, server_port=port, **options)
