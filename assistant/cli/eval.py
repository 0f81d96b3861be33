"""`assistant eval SET... | eval beir DIR | eval squad FILE`: measure the assistant offline.

``eval SET...`` asks every question of one or more question sets through the same chain as the
chat (the configured data directory and answer backend), scores it, writes results.json,
summary.md and report.html, and can compare with an earlier run and gate on minimum scores.
``eval beir`` and ``eval squad`` import the public formats (see
:mod:`assistant.evaluation.beir` and :mod:`assistant.evaluation.squad`).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.cli.eval_feedback import from_feedback_command
from assistant.config import Settings
from assistant.errors import AssistantError

SUBCOMMANDS = ("beir", "squad", "verify")
DEFAULT_CACHE = Path("eval/cache")


class EvalGroup(click.Group):
    """A group whose first argument is a subcommand (beir, squad) or else a question-set path.

    With a subcommand, the group's own options keep their defaults and everything after the
    name goes to the subcommand; otherwise every argument is the group's (SET... and options,
    in any order) and the group's callback runs the question sets.
    """

    allow_interspersed_args = True

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        return click.Command.parse_args(self, ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path,
            "[OPTIONS] SET... | beir DIR | squad FILE | verify FILE | from-feedback --out FILE",
        )


class _SetsArgument(click.Argument):
    """SET...: left out of the subcommands' usage line (``assistant eval beir ...``)."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


def public_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON-safe values, without secrets (API keys, passwords)."""
    data = settings.model_dump(mode="json")
    for key in ("llm_api_key", "auth"):
        if data.get(key) is not None:
            data[key] = "***"
    return data


@contextmanager
def _progress(description: str, *, quiet: bool) -> Iterator[tuple[Progress, Any]]:
    console = Console(stderr=True)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    ) as bar:
        yield bar, bar.add_task(description, total=None)


_ALLOW_DIRTY_HELP = (
    "Write into the repository's eval/results/ even from a working tree with uncommitted "
    "changes (the results record git_dirty: true)."
)


def allow_dirty_option(fn: Any) -> Any:
    """The --allow-dirty flag of every eval command that writes results (see
    ``assistant.evaluation.report.check_results_target``)."""
    return click.option("--allow-dirty", is_flag=True, help=_ALLOW_DIRTY_HELP)(fn)


def _command_line(
    sets: tuple[Path, ...],
    out_dir: Path,
    k: int,
    minimums: tuple[str, ...],
    allow_dirty: bool = False,
) -> str:
    parts = ["assistant eval", *map(str, sets), "--out", str(out_dir), "--k", str(k)]
    parts += [f"--min {spec}" for spec in minimums]
    if allow_dirty:
        parts.append("--allow-dirty")
    return " ".join(parts)


def _fmt(value: float | None, name: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if name.startswith("latency") else f"{value:.3f}"


@click.group(cls=EvalGroup, name="eval", invoke_without_command=True)
@click.argument("sets", nargs=-1, type=click.Path(path_type=Path), cls=_SetsArgument)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("eval/out"),
    show_default=True,
    help="Folder for results.json, summary.md and report.html.",
)
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="An earlier results.json: print the change of every metric.",
)
@click.option(
    "--min",
    "minimums",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Fail (exit 1) when METRIC falls below VALUE (latency_*: above VALUE ms). Repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@click.option(
    "--k",
    "k",
    type=click.IntRange(1, 100),
    help="Passages retrieved per question (default: the k setting).",
)
@allow_dirty_option
@click.pass_context
def command(
    ctx: click.Context,
    sets: tuple[Path, ...],
    out_dir: Path,
    compare_path: Path | None,
    minimums: tuple[str, ...],
    as_json: bool,
    k: int | None,
    allow_dirty: bool,
) -> None:
    """Evaluate the assistant on question sets (YAML or JSON Lines; see eval/README.md).

    \b
    assistant eval SET... [--out DIR] [--compare OLD/results.json] [--min METRIC=VALUE]...
        Ask every question through the chat's chain; write results.json, summary.md and
        report.html to --out (with the git commit and whether the working tree was dirty;
        into eval/results/ only from a clean tree, unless --allow-dirty). Metrics:
        must_include, exact_match, f1, hit_at_k, recall_at_k, mrr, citation_precision,
        citation_recall, supported, abstention_accuracy,
        has_answer_gold, no_answer_declined and avna (sets with unanswerable items),
        latency_p50_ms, latency_p95_ms.
    assistant eval beir DIR [--split test] [--limit-docs N] [--json]
        Retrieval nDCG@10, recall@100 and MRR@10 on a BEIR folder: dense, BM25 and hybrid.
    assistant eval squad FILE [--articles RANGE] [--sample N --seed S] [--limit N] [--json]
        Answer exact match and F1 on a SQuAD v1.1 or v2.0 JSON file (its contexts become
        documents); with v2.0 also has_answer_gold, no_answer_declined and avna.
    """
    from assistant.evaluation import (
        check_minimums,
        compare,
        format_comparison,
        load_question_set,
        run_eval,
        write_reports,
    )
    from assistant.evaluation.report import check_results_target, git_provenance
    from assistant.evaluation.runner import reader_judge

    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext)
    if app is None:  # pragma: no cover - main always sets it
        raise AssistantError("eval needs the assistant context")
    if not sets:
        raise click.UsageError("give at least one question set (or: beir DIR, squad FILE)")
    misplaced = next((str(p) for p in sets if str(p) in SUBCOMMANDS and not p.exists()), None)
    if misplaced is not None:
        raise click.UsageError(f"put '{misplaced}' first: assistant eval {misplaced} ARG [OPTIONS]")
    # Check the target, the gates and every file before the slow part, so a typo fails at once.
    check_results_target(out_dir, allow_dirty=allow_dirty)
    provenance = git_provenance()  # the code as it was when the run started
    check_minimums({}, minimums)
    items = []
    seen: dict[str, Path] = {}
    for path in sets:
        for item in load_question_set(path):
            if item.id in seen:
                raise AssistantError(f"{path}: id {item.id!r} is also used in {seen[item.id]}")
            seen[item.id] = path
            items.append(item)
    if compare_path is not None and not compare_path.is_file():
        raise AssistantError(f"{compare_path}: no such results file")

    settings = app.settings
    k = k or settings.k
    chain = app.runtime.chain
    if k != chain.retriever.k:
        chain.retriever.k = k
    if app.runtime.knowledge.chunk_count() == 0:
        raise AssistantError(
            f"the knowledge base in {settings.data_dir} is empty: `assistant ingest PATH` first"
        )
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    judge = reader_judge(app.runtime.reader, app.runtime.min_answer_prob)
    run = run_eval(items, chain.ask, k=k, progress=not as_json, judge=judge)
    meta = {
        "date": started,
        **provenance,
        "sets": [str(p) for p in sets],
        "backend": settings.llm,
        "settings": public_settings(settings),
        "command": _command_line(sets, out_dir, k, minimums, allow_dirty),
    }
    paths = write_reports(run, out_dir, meta=meta)
    failures = check_minimums(run.metrics, minimums)
    comparison = compare(run.metrics, compare_path) if compare_path else None

    if as_json:
        out: dict[str, Any] = {"metrics": run.metrics_json(), "counts": run.counts}
        if comparison is not None:
            out["compare"] = {
                name: {"old": old, "new": new, "delta": delta}
                for name, old, new, delta in comparison
            }
        out["gates_failed"] = failures
        out["reports"] = {kind: str(path) for kind, path in paths.items()}
        print_json(out)
    else:
        console = Console(highlight=False, soft_wrap=True)
        passed = sum(row.passed for row in run.rows)
        console.print(
            f"{run.n_questions} questions: {passed} passed, {run.n_questions - passed} failed (k = {k})"
        )
        table = Table("metric", "value", "n", box=None, pad_edge=False)
        for name in run.metrics:
            table.add_row(name, _fmt(run.metrics[name], name), str(run.counts.get(name, 0)))
        console.print(table)
        for row in run.failing:
            console.print(f"FAIL {row.id}: " + "; ".join(row.failures), markup=False)
        if comparison is not None:
            console.print()
            console.print(f"compared with {compare_path}:")
            console.print(format_comparison(comparison), markup=False)
        console.print(f"reports: {', '.join(str(p) for p in paths.values())}", markup=False)
    if failures:
        for message in failures:
            click.echo(f"gate failed: {message}", err=True)
        sys.exit(1)


@command.command("beir")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score."
)
@click.option(
    "--limit-docs", type=int, help="Only the first N documents (and the queries judged on them)."
)
@click.option(
    "--candidates",
    type=click.IntRange(100, 2000),
    default=100,
    show_default=True,
    help="Hits taken from each retriever before hybrid fusion.",
)
@click.option(
    "--rrf-k", type=click.IntRange(1), default=60, show_default=True, help="RRF constant."
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Embedding cache (<dir>/embeddings/<model>.sqlite).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the results as JSON here.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@allow_dirty_option
@pass_app
def beir_command(
    app: AppContext,
    directory: Path,
    split: str,
    limit_docs: int | None,
    candidates: int,
    rrf_k: int,
    cache_dir: Path,
    out_file: Path | None,
    as_json: bool,
    allow_dirty: bool,
) -> None:
    """Retrieval benchmark on a BEIR folder: dense, BM25 and hybrid side by side.

    Each document is one passage (title + text); rankings are 100 deep. Metrics: nDCG@10,
    recall@10, recall@100, MRR@10; dense_exact is exact numpy search over the same vectors (a
    check on Chroma's approximate index). Embeddings are cached in --cache-dir.
    """
    from assistant.evaluation.beir import chroma_store, load_beir, run_beir
    from assistant.evaluation.embedding_cache import CachedEmbedder, EmbeddingCache
    from assistant.evaluation.report import check_results_target, git_provenance

    if out_file is not None:
        check_results_target(out_file, allow_dirty=allow_dirty)
    provenance = git_provenance()
    dataset = load_beir(directory, split)
    if limit_docs is not None:
        dataset = dataset.limit_docs(limit_docs)
        if not dataset.queries:
            raise AssistantError(f"no {split} query is judged on the first {limit_docs} documents")
    inner = app.runtime.embedder
    cache = EmbeddingCache.for_model(cache_dir, inner.name)
    embedder = CachedEmbedder(inner, cache)
    with _progress("embedding", quiet=as_json) as (bar, task):

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        with chroma_store() as store:
            result = run_beir(
                dataset, embedder, store, candidates=candidates, rrf_k=rrf_k, progress=progress
            )
    cache.close()
    command_line = f"assistant eval beir {directory} --split {split}"
    if limit_docs is not None:
        command_line += f" --limit-docs {limit_docs}"
    if candidates != 100 or rrf_k != 60:
        command_line += f" --candidates {candidates} --rrf-k {rrf_k}"
    result["meta"] = {
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        **provenance,
        "command": command_line,
        "embedding_model": app.settings.embedding_model,
    }
    if out_file is not None:
        import json

        try:
            out_file.parent.mkdir(parents=True, exist_ok=True)
            out_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise AssistantError(f"{out_file}: cannot write: {exc.strerror or exc}") from exc
    if as_json:
        print_json(result)
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"{result['dataset']} ({split}): {result['documents']} documents, {result['queries']} queries, "
        f"{result['embedded']} texts embedded, model {result['model']}",
        markup=False,
    )
    table = Table(
        "mode",
        "nDCG@10",
        "recall@10",
        "recall@100",
        "MRR@10",
        "published nDCG@10",
        box=None,
        pad_edge=False,
    )
    published = result["published"]
    for mode, scores in result["metrics"].items():
        pub = published.get(mode, {}).get("ndcg_at_10")
        table.add_row(
            mode,
            f"{scores['ndcg_at_10']:.3f}",
            f"{scores['recall_at_10']:.3f}",
            f"{scores['recall_at_100']:.3f}",
            f"{scores['mrr_at_10']:.3f}",
            f"{pub:.3f}" if isinstance(pub, float) else "–",
        )
    console.print(table)
    console.print(
        f"dense vs exact top-10 agreement: {result['dense_vs_exact_top10_agreement']:.3f}"
    )


class _OptionError(click.ClickException):
    """A bad option value found after parsing (it needs the file): one line, exit 2."""

    exit_code = 2


@command.command("squad")
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
    from assistant.evaluation.metrics import DECLINE_METRICS
    from assistant.evaluation.report import check_results_target, git_provenance
    from assistant.evaluation.runner import reader_judge
    from assistant.evaluation.squad import SquadSelectionError, load_squad, squad_runtime

    if out_dir is not None:
        check_results_target(out_dir, allow_dirty=allow_dirty)
    provenance = git_provenance()
    try:
        dataset = load_squad(file, limit=limit, articles=articles, sample=sample, seed=seed)
    except SquadSelectionError as exc:
        raise _OptionError(f"Invalid value for '{exc.option}': {exc}") from None
    k = k or app.settings.k
    with squad_runtime(app.settings, app.runtime, dataset) as runtime:
        judge = reader_judge(runtime.reader, runtime.min_answer_prob)
        run = run_eval(dataset.items, runtime.chain.ask, k=k, progress=not as_json, judge=judge)
    metrics = run.metrics_json()
    selection: dict[str, Any] = {
        "articles": articles,
        "sample": sample,
        "seed": seed if sample is not None else None,
        "limit": limit,
    }
    if out_dir is not None:
        write_reports(
            run,
            out_dir,
            meta={
                **provenance,
                "squad_file": str(file),
                **selection,
                "article_titles": dataset.articles,
                "backend": app.settings.llm,
                "settings": public_settings(app.settings),
            },
        )
    if as_json:
        print_json(
            {
                "file": str(file),
                **selection,
                "article_titles": dataset.articles,
                "contexts": len(dataset.documents),
                "unanswerable": dataset.n_unanswerable,
                "metrics": metrics,
                "counts": run.counts,
            }
        )
        return
    console = Console(highlight=False, soft_wrap=True)
    unanswerable = dataset.n_unanswerable
    console.print(
        f"{file}: {len(dataset.documents)} contexts, {run.n_questions} questions"
        + (f", {unanswerable} unanswerable" if unanswerable else "")
        + f" (k = {k})",
        markup=False,
    )
    if articles is not None or sample is not None:
        console.print(f"articles: {', '.join(dataset.articles)}", markup=False)
    table = Table("metric", "value", "n", box=None, pad_edge=False)
    names = [
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
    ]
    for name in names:
        if name in DECLINE_METRICS and not unanswerable:
            continue
        table.add_row(name, _fmt(run.metrics.get(name), name), str(run.counts.get(name, 0)))
    console.print(table)


@command.command("verify")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every row and the metrics to this JSON file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@allow_dirty_option
@pass_app
def verify_command(
    app: AppContext, file: Path, out_file: Path | None, as_json: bool, allow_dirty: bool
) -> None:
    """How the citation checker judges LLM sentences: a verification set (see eval/README.md).

    Each claim is checked against its passage as an LLM sentence citing it would be; reported are
    the share of faithful claims accepted and of wrong claims shown as supported, per kind.
    """
    import json

    from assistant.citations import check_sentence
    from assistant.evaluation.report import check_results_target, git_provenance
    from assistant.evaluation.verification import (
        VerificationPair,
        as_chunk,
        load_verification_set,
        run_verification,
    )

    if out_file is not None:
        check_results_target(out_file, allow_dirty=allow_dirty)
    provenance = git_provenance()
    pairs = load_verification_set(file)
    runtime = app.runtime
    reader = runtime.reader
    calibration = getattr(reader, "calibration", None)

    def check(pair: VerificationPair) -> tuple[str, str]:
        checked = check_sentence(
            pair.claim,
            (1,),
            {1: as_chunk(pair)},
            runtime.embedder,
            reader=reader,
            min_entailed=getattr(calibration, "min_entailed", 0.5),
            min_contradicted=getattr(calibration, "min_contradicted", 0.5),
        )
        return checked.status, checked.reason

    result = run_verification(pairs, check)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(
            json.dumps({"file": str(file), "meta": provenance, **result}, indent=2) + "\n"
        )
    if as_json:
        print_json({"file": str(file), "metrics": result["metrics"], "by_kind": result["by_kind"]})
        return
    console = Console()
    metrics = result["metrics"]
    console.print(
        f"{file}: {metrics['n_faithful']} faithful, {metrics['n_wrong']} wrong claims\n"
        f"  faithful accepted     {metrics['faithful_accepted']}\n"
        f"  wrong shown supported {metrics['wrong_supported']}\n"
        f"  wrong contradicted    {metrics['wrong_contradicted']}"
    )
    table = Table("label/kind", "n", "supported")
    for name, row in result["by_kind"].items():
        table.add_row(name, str(row["n"]), str(row["supported"]))
    console.print(table)


command.add_command(from_feedback_command)
