"""`assistant ingest PATH...`: add documents, with a progress bar and a summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.serialise import ingest_json


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the per-file results as JSON.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove documents whose files were deleted from the given folders.",
)
@pass_app
def ingest(app: AppContext, paths: tuple[Path, ...], as_json: bool, prune: bool) -> None:
    """Add documents (files or folders, recursive): .txt .md .html .pdf .docx.

    Unchanged documents are skipped without embedding; changed ones replace their old chunks.
    Exits 1 when any file was rejected.
    """
    kb = app.runtime.knowledge
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total or None, description=f"embedding {what}")

        report = kb.ingest(list(paths), progress=progress)
    pruned = kb.prune_missing([p for p in paths if p.is_dir()]) if prune else []
    if as_json:
        print_json(ingest_json(report, removed=[r.document_id for r in pruned]))
    else:
        out = Console(highlight=False, soft_wrap=True)
        for r in report.results:
            detail = r.reason or (f"{r.chunks} chunks" if r.chunks else "")
            ident = f" ({r.document_id})" if r.document_id and r.status != "rejected" else ""
            out.print(f"{r.status:>9}  {r.name}{ident}" + (f": {detail}" if detail else ""))
        for record in pruned:
            out.print(f"  removed  {record.path} ({record.document_id}): its file is gone")
        out.print(report.summary())
    if report.count("rejected"):
        sys.exit(1)
