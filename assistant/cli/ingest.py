"""`assistant ingest PATH|URL...`: add documents and web pages, with a progress bar and a summary."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.documents.feeds import ingest_feed
from assistant.documents.web import WebFetcher
from assistant.index.writer import ProgressFn
from assistant.knowledge import IngestReport
from assistant.serialise import ingest_json
from assistant.types import DocumentRecord

_WEB_SCHEMES = ("http://", "https://")


def is_web_address(text: str) -> bool:
    return text.strip().lower().startswith(_WEB_SCHEMES)


def read_url_list(path: Path) -> list[str]:
    """The addresses in a --urls file: one a line; blank lines and # comments skipped."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@contextmanager
def _progress_bar(quiet: bool) -> Iterator[ProgressFn]:
    """A progress bar on stderr (when it is a terminal) and the callback that moves it."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total or None, description=f"embedding {what}")

        yield progress


def _print_report(report: IngestReport, pruned: list[DocumentRecord]) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for r in report.results:
        detail = r.reason or (f"{r.chunks} chunks" if r.chunks else "")
        ident = f" ({r.document_id})" if r.document_id and r.status != "rejected" else ""
        out.print(f"{r.status:>9}  {r.name}{ident}" + (f": {detail}" if detail else ""))
    for record in pruned:
        out.print(f"  removed  {record.path} ({record.document_id}): its file is gone")
    out.print(report.summary())


@click.command()
@click.argument("sources", nargs=-1, metavar="PATH|URL...")
@click.option(
    "--urls",
    "urls_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of web addresses to add, one a line (# starts a comment).",
)
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="Add the entries of an RSS or Atom feed not added yet.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the per-file results as JSON.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove documents whose files were deleted from the given folders.",
)
@pass_app
def ingest(
    app: AppContext,
    sources: tuple[str, ...],
    urls_file: Path | None,
    feeds: tuple[str, ...],
    as_json: bool,
    prune: bool,
) -> None:
    """Add documents (files or folders, recursive): .txt .md .html .pdf .docx; and web pages
    (http and https addresses: the article's text, or the PDF) and the entries of feeds.

    Unchanged documents are skipped without embedding; changed ones replace their old chunks.
    A page added again is fetched again and replaced when its text changed.
    Exits 1 when any file or page was rejected.
    """
    urls = [s for s in sources if is_web_address(s)]
    urls += read_url_list(urls_file) if urls_file is not None else []
    paths = [Path(s) for s in sources if not is_web_address(s)]
    if not (paths or urls or feeds):
        raise click.UsageError("give files, folders or web addresses, --urls FILE or --feed URL")
    kb = app.runtime.knowledge
    fetcher = WebFetcher.from_settings(app.settings, from_web_page=False)
    report = IngestReport()
    with _progress_bar(as_json) as progress:
        if paths:
            report = report.merge(kb.ingest(paths, progress=progress))
        if urls:
            report = report.merge(kb.ingest_urls(urls, fetcher.fetch, progress=progress))
        for feed in feeds:
            report = report.merge(ingest_feed(kb, fetcher, feed, progress=progress))
    pruned = kb.prune_missing([p for p in paths if p.is_dir()]) if prune else []
    if as_json:
        print_json(ingest_json(report, removed=[r.document_id for r in pruned]))
    else:
        _print_report(report, pruned)
    if report.count("rejected"):
        sys.exit(1)
