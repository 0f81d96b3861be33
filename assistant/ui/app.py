"""The Gradio app: a chat whose answers stream in, with their cited sources under them."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.runtime import Runtime
from assistant.types import Answer, Turn


def sources_html(answer: Answer) -> str:
    if answer.abstained or not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        items.append(
            f"<li><b>[{c.n}] {html.escape(c.title)}</b> — {html.escape(c.location)}"
            f"<blockquote>{html.escape(c.quote)}</blockquote></li>"
        )
    return "<ol class='sources'>" + "".join(items) + "</ol>"


def _history(messages: list[dict[str, Any]]) -> list[Turn]:
    turns: list[Turn] = []
    for m in messages:
        content = m.get("content")
        if m.get("role") in ("user", "assistant") and isinstance(content, str):
            turns.append(Turn(m["role"], content))
    return turns


def build_app(runtime: Runtime) -> gr.Blocks:
    chain = runtime.chain

    def respond(
        question: str, messages: list[dict[str, Any]]
    ) -> Iterator[tuple[str, list[dict[str, Any]], str]]:
        history = _history(messages)
        messages = [*messages, {"role": "user", "content": question}]
        try:
            text = ""
            for item in chain.stream(question, history):
                if isinstance(item, Answer):
                    messages[-1:] = [messages[-1], {"role": "assistant", "content": item.text}]
                    yield "", messages, sources_html(item)
                else:
                    text += item
                    yield "", [*messages, {"role": "assistant", "content": text}], ""
        except AssistantError as exc:
            yield question, messages[:-1], f"<p class='error'>{html.escape(str(exc))}</p>"

    with gr.Blocks(title="Assistant — cited answers") as app:
        gr.Markdown("## Ask the knowledge base\nEvery claim carries a numbered citation.")
        chatbot = gr.Chatbot(height=420, label="Conversation")
        question = gr.Textbox(placeholder="Ask a question…", label="Question")
        sources = gr.HTML()
        question.submit(respond, [question, chatbot], [question, chatbot, sources])

        def ask_api(question: str, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
            """Ask one question; history is a list of {role, content}. Returns `ask --json`'s object."""
            try:
                return chain.ask(question, _history(history or [])).to_json()
            except AssistantError as exc:
                return {"error": str(exc)}

        gr.api(ask_api, api_name="ask")
    return app


def serve(runtime: Runtime, host: str, port: int) -> None:
    runtime.knowledge.bm25()
    build_app(runtime).queue().launch(server_name=host, server_port=port, share=False)
