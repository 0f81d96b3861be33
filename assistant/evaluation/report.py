"""Reports of a run: results.json, summary.md and report.html (drawn by ``report_html.py``),
where committed results may be written, comparison with an earlier run, and the minimum-score
gates.

``check_minimums`` takes ``NAME=VALUE`` specs. For the 0..1 metrics VALUE is a minimum; for the
``latency_*`` metrics, where a minimum makes no sense, VALUE is a maximum in milliseconds. A
metric that was not measured (no applicable questions) fails its gate.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.evaluation.metrics import (
    LATENCY_METRICS,
    METRIC_NAMES,
    SHARE_METRICS,
    format_metric,
)
from assistant.evaluation.report_html import report_html
from assistant.evaluation.runner import EvalRun

Comparison = tuple[str, float | None, float | None, float | None]

RESULTS_DIR = Path("eval") / "results"
"""Where committed measurements live, relative to the repository's top level."""


def _git(directory: str | Path, *args: str) -> str | None:
    """``git ARGS`` run in ``directory``: its standard output, or None when git fails or is absent."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_commit(directory: str | Path = ".") -> str | None:
    """The HEAD commit of the git work tree at ``directory``, or None outside one or without git."""
    commit = (_git(directory, "rev-parse", "HEAD") or "").strip()
    return commit or None


def git_dirty(directory: str | Path = ".") -> bool | None:
    """Whether the git work tree at ``directory`` differs from its HEAD commit: anything that
    ``git status --porcelain`` lists (staged, unstaged or untracked; only what .gitignore ignores
    is left out). None outside a work tree or without git."""
    status = _git(directory, "status", "--porcelain")
    return None if status is None else bool(status.strip())


def git_root(directory: str | Path = ".") -> Path | None:
    """The top level of the git work tree at ``directory``, or None outside one or without git."""
    top = (_git(directory, "rev-parse", "--show-toplevel") or "").strip()
    return Path(top).resolve() if top else None


def git_provenance(directory: str | Path = ".") -> dict[str, Any]:
    """``{"git_commit": ..., "git_dirty": ...}`` of the work tree at ``directory`` (both None
    outside one): what a results file records about the code that produced it."""
    return {"git_commit": git_commit(directory), "git_dirty": git_dirty(directory)}


def check_results_target(
    target: str | Path, *, allow_dirty: bool, directory: str | Path = "."
) -> None:
    """Refuse (AssistantError, one line) to write ``target`` into the ``eval/results/`` folder of
    the git work tree at ``directory`` while that tree has uncommitted changes, unless
    ``allow_dirty``: a committed measurement must name the code that produced it. Outside a work
    tree, or for a target elsewhere, nothing is checked."""
    if allow_dirty:
        return
    root = git_root(directory)
    if root is None:
        return
    results = (root / RESULTS_DIR).resolve()
    path = (Path(directory) / target).resolve()
    if not path.is_relative_to(results) or git_dirty(directory) is not True:
        return
    raise AssistantError(
        f"{target}: refusing to write into {RESULTS_DIR}/ from a working tree with uncommitted "
        "changes (see `git status`): commit first, or pass --allow-dirty"
    )


def _complete_meta(run: EvalRun, meta: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(meta)
    out.setdefault("date", dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())
    if "git_commit" not in out:
        out.update({k: v for k, v in git_provenance().items() if k not in out})
    out.setdefault("git_dirty", None)  # a commit given without its state: unknown
    out.setdefault("k", run.k)
    out.setdefault("n_questions", run.n_questions)
    return out


def results_json(run: EvalRun, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The content of results.json for a run."""
    return {
        "meta": dict(meta),
        "metrics": run.metrics_json(),
        "counts": {name: run.counts.get(name, 0) for name in METRIC_NAMES},
        "questions": [row.to_json() for row in run.rows],
    }


# --- summary.md -----------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def summary_markdown(run: EvalRun, meta: Mapping[str, Any]) -> str:
    """The Markdown summary: metrics table, then the failing questions with their reasons."""
    lines = ["# Evaluation summary", ""]
    for key in ("date", "git_commit", "git_dirty", "sets"):
        if meta.get(key) is not None:
            value = meta[key]
            shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            lines.append(f"- **{key}**: {_md_cell(shown)}")
    passed = sum(row.passed for row in run.rows)
    lines += [
        f"- **questions**: {run.n_questions} ({passed} passed, {run.n_questions - passed} failed)",
        f"- **k**: {run.k}",
        "",
        "## Metrics",
        "",
        "| metric | value | n |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {format_metric(run.metrics.get(name), name)} | {run.counts.get(name, 0)} |"
        for name in METRIC_NAMES
    ]
    lines += ["", "## Failing questions", ""]
    failing = run.failing
    if not failing:
        lines.append("None.")
    for row in failing:
        lines.append(f"- **{_md_cell(row.id)}**: {_md_cell(row.question)}")
        lines += [f"  - {_md_cell(reason)}" for reason in row.failures]
    return "\n".join(lines) + "\n"


def write_reports(run: EvalRun, out_dir: str | Path, *, meta: dict[str, Any]) -> dict[str, Path]:
    """Write results.json, summary.md and report.html into out_dir; return their paths by kind.

    ``meta`` (git commit, date, settings, set files, ...) is stored as given; ``date`` (UTC),
    ``git_commit`` and ``git_dirty`` (of the current directory's work tree, both None outside
    one), ``k`` and ``n_questions`` are filled in when missing.
    """
    out = Path(out_dir)
    full_meta = _complete_meta(run, meta)
    paths = {
        "json": out / "results.json",
        "markdown": out / "summary.md",
        "html": out / "report.html",
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths["json"].write_text(
            json.dumps(results_json(run, full_meta), indent=2, ensure_ascii=False, default=str)
            + "\n",
            encoding="utf-8",
        )
        paths["markdown"].write_text(summary_markdown(run, full_meta), encoding="utf-8")
        paths["html"].write_text(report_html(run, full_meta), encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"{out}: cannot write the reports: {exc.strerror or exc}") from exc
    return paths


# --- comparison and gates -------------------------------------------------------------------


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def compare(new_metrics: Mapping[str, Any], old_results_path: str | Path) -> list[Comparison]:
    """(name, old, new, new - old) for every metric, against an earlier results.json.

    A value missing or null on either side gives a delta of None.
    """
    path = Path(old_results_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AssistantError(f"{path}: no such results file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"{path}: cannot read the results file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise AssistantError(f"{path}: not valid JSON: {exc.msg}") from exc
    old_metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(old_metrics, dict):
        raise AssistantError(f"{path}: not a results.json (no 'metrics' mapping)")
    rows: list[Comparison] = []
    for name in METRIC_NAMES:
        old = _number(old_metrics.get(name))
        new = _number(new_metrics.get(name))
        delta = None if old is None or new is None else new - old
        rows.append((name, old, new, delta))
    return rows


def format_comparison(rows: Sequence[Comparison]) -> str:
    """A plain-text table of a comparison, with the delta signed and marked better or worse."""
    lines = [f"{'metric':<20} {'old':>10} {'new':>10} {'delta':>10}"]
    for name, old, new, delta in rows:
        if delta is None:
            change, verdict = "–", ""
        else:
            change = f"{delta:+.0f}" if name in LATENCY_METRICS else f"{delta:+.3f}"
            better = delta < 0 if name in LATENCY_METRICS else delta > 0
            verdict = "" if delta == 0 else ("  better" if better else "  worse")
        lines.append(
            f"{name:<20} {format_metric(old, name):>10} {format_metric(new, name):>10} {change:>10}{verdict}"
        )
    return "\n".join(lines)


def _parse_spec(spec: str) -> tuple[str, float]:
    name, sep, raw = spec.partition("=")
    name = name.strip()
    if not sep or not name or not raw.strip():
        raise AssistantError(f"bad minimum {spec!r}: expected NAME=VALUE, e.g. f1=0.5")
    if name not in METRIC_NAMES:
        raise AssistantError(
            f"bad minimum {spec!r}: unknown metric {name!r} (known: {', '.join(METRIC_NAMES)})"
        )
    try:
        value = float(raw)
    except ValueError:
        raise AssistantError(f"bad minimum {spec!r}: {raw.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise AssistantError(f"bad minimum {spec!r}: {raw.strip()!r} is not a number")
    if name in SHARE_METRICS and not 0 <= value <= 1:
        raise AssistantError(f"bad minimum {spec!r}: {name} lies between 0 and 1")
    if name in LATENCY_METRICS and value < 0:
        raise AssistantError(f"bad minimum {spec!r}: a latency cannot be negative")
    return name, value


def check_minimums(metrics: Mapping[str, Any], specs: Sequence[str]) -> list[str]:
    """One message per metric that misses its gate; ``latency_*`` specs are maxima in ms.

    Every spec is parsed before any is checked, so a malformed one always raises AssistantError.
    """
    gates = [_parse_spec(spec) for spec in specs]
    failures: list[str] = []
    for name, bound in gates:
        value = _number(metrics.get(name))
        if value is None:
            failures.append(f"{name} was not measured (no applicable questions)")
        elif name in LATENCY_METRICS:
            if value > bound:
                failures.append(f"{name} = {value:.0f} ms is above the maximum {bound:g} ms")
        elif value < bound:
            failures.append(f"{name} = {value:.3f} is below the minimum {bound:g}")
    return failures
