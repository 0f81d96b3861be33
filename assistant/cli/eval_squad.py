"""`assistant eval squad FILE`: answer and decline metrics on a SQuAD v1.1 or v2.0 file, its
contexts indexed in a temporary knowledge base (see :mod:`assistant.evaluation.squad`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.cli.eval_common import (
    OptionError,
    allow_dirty_option,
    format_metric,
    public_settings,
)

if TYPE_CHECKING:  # the evaluation package is imported when a run starts
    from assistant.evaluation.runner import EvalRun
    from assistant.evaluation.squad import SquadDataset

_TABLE_METRICS = (
    "exact_match",
    "f1",
    "must_include",
    "hit_at_k",
    "mrr",
    "abstention_accuracy",
    "has_answer_gold",
    "no_answer_declined",
    "avna",
    "latency_p50_ms",
)


@click.command("squad")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--articles",
    metavar="RANGE",
    help="Only these articles: 1-based numbers over the file's articles sorted by title, "
    "e.g. 1-8, 9-16, 3 or 1,4-6. Every context of a selected article is indexed.",
)
@click.option(
    "--sample",
    type=click.IntRange(1),
    metavar="N",
    help="A seeded random sample of N questions from the selected articles, keeping the "
    "answerable/unanswerable ratio.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, metavar="S", help="Random seed of --sample."
)
@click.option(
    "--limit",
    type=click.IntRange(1),
    metavar="N",
    help="Only the first N questions (alone: only their contexts are indexed).",
)
@click.option(
    "--k",
    "k",
    type=click.IntRange(1, 100),
    help="Passages retrieved per question (default: the k setting).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write results.json, summary.md and report.html here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@allow_dirty_option
@pass_app
def squad_command(
    app: AppContext,
    file: Path,
    articles: str | None,
    sample: int | None,
    seed: int,
    limit: int | None,
    k: int | None,
    out_dir: Path | None,
    as_json: bool,
    allow_dirty: bool,
) -> None:
    """Answer and decline metrics on a SQuAD v1.1 or v2.0 JSON file.

    The contexts become documents of a temporary knowledge base (same embedder and answer
    backend as the chat); each question is asked through the chain and scored against its
    answers (must_include: the answer contains a gold answer; hit_at_k: a passage with the gold
    answer from the right context is retrieved). v2.0 questions marked is_impossible should be
    declined; with any of them the run also reports has_answer_gold, no_answer_declined and avna.
    """
    from assistant.evaluation import run_eval, write_reports
    from assistant.evaluation.report import check_results_target, git_provenance
    from assistant.evaluation.runner import reader_judge
    from assistant.evaluation.squad import SquadSelectionError, load_squad, squad_runtime

    if out_dir is not None:
        check_results_target(out_dir, allow_dirty=allow_dirty)
    provenance = git_provenance()
    try:
        dataset = load_squad(file, limit=limit, articles=articles, sample=sample, seed=seed)
    except SquadSelectionError as exc:
        raise OptionError(f"Invalid value for '{exc.option}': {exc}") from None
    k = k or app.settings.k
    with squad_runtime(app.settings, app.runtime, dataset) as runtime:
        judge = reader_judge(runtime.reader, runtime.min_answer_prob)
        run = run_eval(dataset.items, runtime.chain.ask, k=k, progress=not as_json, judge=judge)
    selection: dict[str, Any] = {
        "articles": articles,
        "sample": sample,
        "seed": seed if sample is not None else None,
        "limit": limit,
    }
    if out_dir is not None:
        meta = {
            **provenance,
            "squad_file": str(file),
            **selection,
            "article_titles": dataset.articles,
            "backend": app.settings.llm,
            "settings": public_settings(app.settings),
        }
        write_reports(run, out_dir, meta=meta)
    if as_json:
        print_json(_json_summary(file, selection, dataset, run))
    else:
        _print_run(file, dataset, run, k, selected=articles is not None or sample is not None)


def _json_summary(
    file: Path, selection: dict[str, Any], dataset: SquadDataset, run: EvalRun
) -> dict[str, Any]:
    return {
        "file": str(file),
        **selection,
        "article_titles": dataset.articles,
        "contexts": len(dataset.documents),
        "unanswerable": dataset.n_unanswerable,
        "metrics": run.metrics_json(),
        "counts": run.counts,
    }


def _print_run(file: Path, dataset: SquadDataset, run: EvalRun, k: int, *, selected: bool) -> None:
    from assistant.evaluation.metrics import DECLINE_METRICS

    console = Console(highlight=False, soft_wrap=True)
    unanswerable = dataset.n_unanswerable
    console.print(
        f"{file}: {len(dataset.documents)} contexts, {run.n_questions} questions"
        + (f", {unanswerable} unanswerable" if unanswerable else "")
        + f" (k = {k})",
        markup=False,
    )
    if selected:
        console.print(f"articles: {', '.join(dataset.articles)}", markup=False)
    table = Table("metric", "value", "n", box=None, pad_edge=False)
    for name in _TABLE_METRICS:
        if name in DECLINE_METRICS and not unanswerable:
            continue
        table.add_row(
            name, format_metric(run.metrics.get(name), name), str(run.counts.get(name, 0))
        )
    console.print(table)
