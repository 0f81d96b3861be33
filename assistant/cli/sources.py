"""`assistant sources list | remove ID`: what the knowledge base holds."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.serialise import document_json


@click.group()
def sources() -> None:
    """List or remove documents."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@pass_app
def list_sources(app: AppContext, as_json: bool) -> None:
    """Show documents: id, title, chunks, when added; site, date and address when known."""
    records = app.runtime.knowledge.documents()
    if as_json:
        print_json([document_json(r) for r in records])
        return
    console = Console(highlight=False, width=None if Console().is_terminal else 200)
    if not records:
        console.print("The knowledge base is empty: add documents with `assistant ingest PATH`.")
        return
    # site, date and address columns only when some document states them (output unchanged else)
    shown = [
        key for key in ("site", "published", "url") if any(r.metadata.get(key) for r in records)
    ]
    table = Table("id", "title", "type", "chunks", "added", *shown, box=None, pad_edge=False)
    for r in records:
        extra = [r.metadata.get(key, "") for key in shown]
        table.add_row(r.document_id, r.title, r.doc_type, str(r.chunks), r.added, *extra)
    console.print(table)
    console.print(f"{len(records)} documents, {sum(r.chunks for r in records)} chunks")


@sources.command("remove")
@click.argument("document_id")
@pass_app
def remove_source(app: AppContext, document_id: str) -> None:
    """Delete a document and all its chunks from every index."""
    record = app.runtime.knowledge.remove(document_id)
    click.echo(
        f"removed {document_id}"
        + (f" ({record.title}, {record.chunks} chunks)" if record.title else "")
    )
