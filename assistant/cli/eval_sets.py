"""`assistant eval SET...`: ask every question of the sets through the chat's chain, score it,
write the reports, compare with an earlier run and check the gates."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from assistant.cli.context import AppContext, print_json
from assistant.cli.eval_common import format_metric, public_settings, utc_now
from assistant.errors import AssistantError

if TYPE_CHECKING:  # the evaluation package is imported when a run starts
    from assistant.evaluation.questions import EvalItem
    from assistant.evaluation.report import Comparison
    from assistant.evaluation.runner import EvalRun

SUBCOMMANDS = ("beir", "squad", "verify")


@dataclass(frozen=True)
class SetsRun:
    """What `assistant eval SET...` was asked to do."""

    sets: tuple[Path, ...]
    out_dir: Path
    compare_path: Path | None
    minimums: tuple[str, ...]
    as_json: bool
    k: int | None
    allow_dirty: bool

    def command_line(self, k: int) -> str:
        parts = ["assistant eval", *map(str, self.sets), "--out", str(self.out_dir), "--k", str(k)]
        parts += [f"--min {spec}" for spec in self.minimums]
        if self.allow_dirty:
            parts.append("--allow-dirty")
        return " ".join(parts)


def load_items(sets: tuple[Path, ...]) -> list[EvalItem]:
    """Every item of every set, in order; an id used twice is an error naming both files."""
    from assistant.evaluation import load_question_set

    items = []
    seen: dict[str, Path] = {}
    for path in sets:
        for item in load_question_set(path):
            if item.id in seen:
                raise AssistantError(f"{path}: id {item.id!r} is also used in {seen[item.id]}")
            seen[item.id] = path
            items.append(item)
    return items


def run_sets(app: AppContext, job: SetsRun) -> None:
    """Check everything that can fail fast, ask and score, write the reports, print, gate."""
    from assistant.evaluation import check_minimums, compare, run_eval, write_reports
    from assistant.evaluation.report import check_results_target, git_provenance
    from assistant.evaluation.runner import reader_judge

    if not job.sets:
        raise click.UsageError("give at least one question set (or: beir DIR, squad FILE)")
    misplaced = next((str(p) for p in job.sets if str(p) in SUBCOMMANDS and not p.exists()), None)
    if misplaced is not None:
        raise click.UsageError(f"put '{misplaced}' first: assistant eval {misplaced} ARG [OPTIONS]")
    # Check the target, the gates and every file before the slow part, so a typo fails at once.
    check_results_target(job.out_dir, allow_dirty=job.allow_dirty)
    provenance = git_provenance()  # the code as it was when the run started
    check_minimums({}, job.minimums)
    items = load_items(job.sets)
    if job.compare_path is not None and not job.compare_path.is_file():
        raise AssistantError(f"{job.compare_path}: no such results file")

    settings = app.settings
    k = job.k or settings.k
    if app.runtime.knowledge.chunk_count() == 0:
        raise AssistantError(
            f"the knowledge base in {settings.data_dir} is empty: `assistant ingest PATH` first"
        )
    started = utc_now()
    runtime = app.runtime
    judge = reader_judge(runtime.reader, runtime.min_answer_prob)
    ask = partial(runtime.chain.ask, k=k)  # the shared chain, asked for k passages a question
    run = run_eval(items, ask, k=k, progress=not job.as_json, judge=judge)
    meta = {
        "date": started,
        **provenance,
        "sets": [str(p) for p in job.sets],
        "backend": settings.llm,
        "settings": public_settings(settings),
        "command": job.command_line(k),
    }
    paths = write_reports(run, job.out_dir, meta=meta)
    failures = check_minimums(run.metrics, job.minimums)
    comparison = compare(run.metrics, job.compare_path) if job.compare_path else None
    if job.as_json:
        print_json(_json_summary(run, comparison, failures, paths))
    else:
        _print_summary(run, k, comparison, job.compare_path, paths)
    if failures:
        for message in failures:
            click.echo(f"gate failed: {message}", err=True)
        sys.exit(1)


def _json_summary(
    run: EvalRun, comparison: list[Comparison] | None, failures: list[str], paths: dict[str, Path]
) -> dict[str, Any]:
    out: dict[str, Any] = {"metrics": run.metrics_json(), "counts": run.counts}
    if comparison is not None:
        out["compare"] = {
            name: {"old": old, "new": new, "delta": delta} for name, old, new, delta in comparison
        }
    out["gates_failed"] = failures
    out["reports"] = {kind: str(path) for kind, path in paths.items()}
    return out


def _print_summary(
    run: EvalRun,
    k: int,
    comparison: list[Comparison] | None,
    compare_path: Path | None,
    paths: dict[str, Path],
) -> None:
    from assistant.evaluation import format_comparison

    console = Console(highlight=False, soft_wrap=True)
    passed = sum(row.passed for row in run.rows)
    console.print(
        f"{run.n_questions} questions: {passed} passed, {run.n_questions - passed} failed (k = {k})"
    )
    table = Table("metric", "value", "n", box=None, pad_edge=False)
    for name in run.metrics:
        table.add_row(name, format_metric(run.metrics[name], name), str(run.counts.get(name, 0)))
    console.print(table)
    for row in run.failing:
        console.print(f"FAIL {row.id}: " + "; ".join(row.failures), markup=False)
    if comparison is not None:
        console.print()
        console.print(f"compared with {compare_path}:")
        console.print(format_comparison(comparison), markup=False)
    console.print(f"reports: {', '.join(str(p) for p in paths.values())}", markup=False)
