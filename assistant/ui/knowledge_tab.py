"""The Knowledge base tab's layout: the documents, adding files or a web page, removing a
document, and the feedback panel. What its events do is wired in app.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

PAGE_HINT = (
    '<h3 class="panel-title">Add a web page</h3><p class="panel-hint">'
    "Its address (http or https; several separated by spaces): the article's text is added "
    "with its title, site, author and date. Adding it again updates it.</p>"
)
ADD_HINT = (
    '<h3 class="panel-title">Add documents</h3><p class="panel-hint">'
    ".txt, .md, .html, .pdf or .docx, up to {mb:g} MB "
    "each. A file with the same name replaces its earlier version.</p>"
)
REMOVE_HINT = (
    '<h3 class="panel-title">Remove a document</h3><p class="panel-hint">'
    "Its passages are deleted from the index at once.</p>"
)
FEEDBACK_HINT = (
    '<h3 class="panel-title">Feedback</h3><p class="panel-hint">Thumbs-down '
    "answers become draft evaluation items: review the file, then run "
    "<code>assistant eval FILE</code> (the same as "
    "<code>assistant eval from-feedback</code>).</p>"
)


@dataclass
class KnowledgeTab:
    """The Knowledge base tab's components that events read or change."""

    tab: Any
    documents: Any
    files: Any
    upload_button: Any
    upload_result: Any
    page_url: Any
    page_button: Any
    page_result: Any
    doc_choice: Any
    remove_button: Any
    confirm_box: Any
    confirm_text: Any
    confirm_button: Any
    cancel_button: Any
    remove_result: Any
    feedback_summary: Any
    feedback_download: Any


def page_box() -> tuple[Any, Any, Any]:
    """The box for a web page's address, its button, and where the result shows."""
    gr.HTML(PAGE_HINT)
    with gr.Row(equal_height=True):
        page_url = gr.Textbox(
            placeholder="https://…",
            show_label=False,
            lines=1,
            max_lines=3,
            scale=5,
            elem_id="page-url",
        )
        page_button = gr.Button("Add page", scale=1, min_width=120, elem_id="page-button")
    return page_url, page_button, gr.HTML(elem_id="page-result")


def remove_panel() -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """The document to remove, its button, the confirmation box (its text and two buttons),
    and where the outcome shows."""
    gr.HTML(REMOVE_HINT)
    doc_choice = gr.Dropdown(
        label="Document",
        choices=[],
        value=None,
        elem_id="remove-choice",
        interactive=True,
    )
    remove_button = gr.Button("Remove…", variant="secondary", elem_id="remove-button")
    with gr.Group(visible=False, elem_id="confirm-box") as confirm_box:
        confirm_text = gr.HTML()
        with gr.Row():
            confirm_button = gr.Button("Yes, remove it", variant="stop", elem_id="confirm-remove")
            cancel_button = gr.Button("Cancel", elem_id="cancel-remove")
    remove_result = gr.HTML(elem_id="remove-result")
    return (
        doc_choice,
        remove_button,
        confirm_box,
        confirm_text,
        confirm_button,
        cancel_button,
        remove_result,
    )


def knowledge_tab(tab: Any, max_file_mb: float) -> KnowledgeTab:
    """The documents, the upload and remove panels, and the feedback panel."""
    documents = gr.HTML(elem_id="documents")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, elem_id="add-panel"):
            gr.HTML(ADD_HINT.format(mb=max_file_mb))
            # no file_types: Gradio would refuse the whole batch for one wrong file; the loader
            # rejects it alone, with its reason
            files = gr.File(
                file_count="multiple", show_label=False, height=140, elem_id="upload-files"
            )
            upload_button = gr.Button(
                "Add to knowledge base", variant="primary", elem_id="upload-button"
            )
            upload_result = gr.HTML(elem_id="upload-result")
            page_url, page_button, page_result = page_box()
        with gr.Column(scale=2, elem_id="remove-panel"):
            removing = remove_panel()
    with gr.Column(elem_id="feedback-panel"):
        gr.HTML(FEEDBACK_HINT)
        feedback_summary = gr.HTML(elem_id="feedback-summary")
        feedback_download = gr.DownloadButton(
            "Download thumbs-down as a draft question set",
            visible=False,
            elem_id="feedback-download",
        )
    return KnowledgeTab(
        tab,
        documents,
        files,
        upload_button,
        upload_result,
        page_url,
        page_button,
        page_result,
        *removing,
        feedback_summary,
        feedback_download,
    )
