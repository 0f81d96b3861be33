"""`assistant ask`: questions from the terminal, answers with their sources."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.errors import AssistantError
from assistant.markers import format_markers
from assistant.scope import chosen_sources, limited_line
from assistant.serialise import parse_history
from assistant.source_label import citation_lines
from assistant.types import Answer, Turn


def load_history(path: Path) -> list[Turn]:
    """A JSON list of {"role": "user"|"assistant", "content": str}."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"cannot read history file '{path}': {exc}") from exc
    except json.JSONDecodeError as exc:
        raise AssistantError(
            f"history file '{path}' is not valid JSON: {exc.msg} (line {exc.lineno})"
        ) from exc
    return parse_history(data, str(path))


_MARKS = {
    "unsupported": "  ⚠ unsupported",
    "uncited": "  ⚠ uncited",
    "contradicted": "  ✗ contradicted by its source",
}


def _batch_line(line: str, history: list[Turn]) -> tuple[str, list[Turn]]:
    """A plain question, or a JSON object {"question": str, "history": [...]} for its own history."""
    if not line.lstrip().startswith("{"):
        return line, history
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise AssistantError(f"input line is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        raise AssistantError('a JSON input line needs {"question": str, "history": [...]}')
    return data["question"], parse_history(data.get("history", []), "history")


def render_answer(answer: Answer, console: Console) -> None:
    if render_checked(answer, console):
        render_sources(answer, console)
        return
    style = "yellow" if answer.abstained else ""
    console.print(answer.text, style=style, soft_wrap=True, markup=False)
    render_sources(answer, console)


def render_checked(answer: Answer, console: Console) -> bool:
    """An LLM answer with sentences its sources do not support: one line each, marked."""
    if answer.abstained or all(s.status == "supported" for s in answer.sentences):
        return False
    for s in answer.sentences:
        marks = format_markers(s.citations)
        line = f"{s.text} {marks}".rstrip()
        console.print(line, style="" if s.status == "supported" else "red", markup=False, end="")
        console.print(_MARKS.get(s.status, ""), style="bold red", markup=False)
    return True


def render_sources(answer: Answer, console: Console) -> None:
    if answer.limited_to:
        console.print(limited_line(answer.limited_to), style="dim", markup=False)
    if answer.fallback:
        console.print(
            "(the LLM's answer did not survive verification: offline answer shown)", style="dim"
        )
    if answer.citations:
        console.print()
        console.print("Sources:", style="bold")
        for c in answer.citations:
            head, *details = citation_lines(
                c.n, c.title, c.location, c.document_id, c.quote, c.document_metadata
            )
            console.print(head, markup=False)
            for line in details:
                console.print(line, style="dim", markup=False, soft_wrap=True)


@click.command()
@click.argument("question")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (with '-': one per line)."
)
@click.option(
    "--history",
    "history_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON list of earlier {role, content} turns.",
)
@click.option(
    "--source",
    "source_ids",
    multiple=True,
    metavar="ID",
    help="Search only this document (an id from 'sources list'); repeatable.",
)
@pass_app
def ask(
    app: AppContext,
    question: str,
    as_json: bool,
    history_file: Path | None,
    source_ids: tuple[str, ...],
) -> None:
    """Ask one question.

    QUESTION '-' reads one question per line from standard input (the models load once); a line
    may also be a JSON object {"question": ..., "history": [...]} carrying its own history.
    """
    history = load_history(history_file) if history_file else []
    chain = app.runtime.chain
    sources = chosen_sources(app.runtime.knowledge.documents(), source_ids) if source_ids else None
    if question == "-":
        failed = False
        for line in sys.stdin:
            line = line.rstrip("\n")
            try:
                line, turns = _batch_line(line, history)
                answer = chain.ask(line, turns, sources=sources)
            except AssistantError as exc:
                failed = True
                if as_json:
                    print_json({"question": line, "error": str(exc)})
                else:
                    click.echo(f"error: {exc}", err=True)
                continue
            if as_json:
                print_json(answer.to_json())
            else:
                render_answer(answer, Console(highlight=False, soft_wrap=True))
                click.echo()
        if failed:
            sys.exit(1)
        return
    if as_json:
        print_json(chain.ask(question, history, sources=sources).to_json())
        return
    stream_answer(chain.stream(question, history, sources=sources), app.settings.llm != "none")


def stream_answer(items: Iterator[str | Answer], drafted: bool) -> None:
    """An answer as it streams: with an LLM (`drafted`), its unchecked draft dimmed, then what
    survived verification; without one, the answer as it arrives, a decline in yellow."""
    console = Console(highlight=False, soft_wrap=True)
    final: Answer | None = None
    for item in items:
        if isinstance(item, Answer):
            final = item
            if not drafted:  # the offline answerer's text arrives whole, just before its Answer
                style = "yellow" if final.abstained else ""
                console.print(final.text, end="", style=style, markup=False)
        elif drafted:
            console.print(item, end="", style="dim", markup=False)
    console.print()
    if final is not None:
        if drafted:
            # the streamed draft was the LLM's, unchecked: show what survived verification
            heading = "Offline answer:" if final.fallback else "Checked against the sources:"
            console.print(heading, style="bold")
            if not render_checked(final, console):
                style = "yellow" if final.abstained else ""
                console.print(final.text, style=style, soft_wrap=True, markup=False)
        render_sources(final, console)
