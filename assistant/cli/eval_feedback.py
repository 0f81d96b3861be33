"""`assistant eval from-feedback`: thumbs-down answers from the web chat as a draft question set."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from assistant.cli.context import AppContext, pass_app
from assistant.errors import AssistantError


@click.command("from-feedback")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The draft question set to write (YAML).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only feedback given on or after this date (YYYY-MM-DD, UTC).",
)
@click.option(
    "--all-ratings",
    is_flag=True,
    help="Thumbs-up answers too (default: thumbs-down only).",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@pass_app
def from_feedback_command(
    app: AppContext,
    out_file: Path,
    since: dt.datetime | None,
    all_ratings: bool,
    force: bool,
) -> None:
    """Write rated answers from the web chat as draft items for review.

    Each item keeps the question and history; the answer given and the reader's comment are
    comments; `answerable` and `must_include` are for the reviewer; the cited and retrieved
    passages are listed under expected_sources so the reviewer keeps the right ones by deleting
    the others. A reviewed file runs with `assistant eval` unchanged.
    """
    from assistant.evaluation.from_feedback import draft_set, read_feedback, select
    from assistant.ui.feedback import FEEDBACK_FILE

    if out_file.exists() and not force:
        raise AssistantError(f"{out_file} exists: choose another --out or add --force")
    path = app.settings.data_dir / FEEDBACK_FILE
    ratings = ("up", "down") if all_ratings else ("down",)
    records = select(read_feedback(path), since=since.date() if since else None, ratings=ratings)
    if not records:
        kind = "rated answers" if all_ratings else "thumbs-down answers"
        when = f" since {since.date().isoformat()}" if since else ""
        raise AssistantError(f"no {kind}{when} in {path}")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(draft_set(records, source=str(path)), encoding="utf-8")
    click.echo(
        f"wrote {len(records)} draft item(s) to {out_file}: review them, then `assistant eval {out_file}`"
    )
