"""What the `assistant eval` commands share: the --allow-dirty flag, settings
without secrets, the date stamp and how a metric's value is printed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import click

from assistant.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

_ALLOW_DIRTY_HELP = (
    "Write into the repository's eval/results/ even from a working tree with uncommitted "
    "changes (the results record git_dirty: true)."
)


def allow_dirty_option(fn: F) -> F:
    """The --allow-dirty flag of every eval command that writes results (see
    ``assistant.evaluation.report.check_results_target``)."""
    return click.option("--allow-dirty", is_flag=True, help=_ALLOW_DIRTY_HELP)(fn)


class OptionError(click.ClickException):
    """A bad option value found after parsing (it needs the file): one line, exit 2."""

    exit_code = 2


def public_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON-safe values, without secrets (API keys, passwords)."""
    data = settings.model_dump(mode="json")
    for key in ("llm_api_key", "auth"):
        if data.get(key) is not None:
            data[key] = "***"
    return data


def utc_now() -> str:
    """This second in UTC, ISO 8601 (the date of a run)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def format_metric(value: float | None, name: str) -> str:
    """A metric for a table: latencies in whole ms, scores to three places, "–" for none."""
    if value is None:
        return "–"
    return f"{value:.0f} ms" if name.startswith("latency") else f"{value:.3f}"
