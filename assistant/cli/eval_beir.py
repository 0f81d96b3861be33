"""`assistant eval beir DIR`: retrieval nDCG@10, recall and MRR@10 on a BEIR folder, dense, BM25
and hybrid side by side (see :mod:`assistant.evaluation.beir`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from assistant.cli.context import AppContext, pass_app, print_json
from assistant.cli.eval_common import allow_dirty_option, utc_now
from assistant.errors import AssistantError
from assistant.evaluation.runner import progress_bar

DEFAULT_CACHE = Path("eval/cache")


@click.command("beir")
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
    with progress_bar("embedding", quiet=as_json) as (bar, task):

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        with chroma_store() as store:
            result = run_beir(
                dataset, embedder, store, candidates=candidates, rrf_k=rrf_k, progress=progress
            )
    cache.close()
    result["meta"] = {
        "date": utc_now(),
        **provenance,
        "command": _command_line(directory, split, limit_docs, candidates, rrf_k),
        "embedding_model": app.settings.embedding_model,
    }
    if out_file is not None:
        _write_json(out_file, result)
    if as_json:
        print_json(result)
    else:
        _print_result(result, split)


def _command_line(
    directory: Path, split: str, limit_docs: int | None, candidates: int, rrf_k: int
) -> str:
    command_line = f"assistant eval beir {directory} --split {split}"
    if limit_docs is not None:
        command_line += f" --limit-docs {limit_docs}"
    if candidates != 100 or rrf_k != 60:
        command_line += f" --candidates {candidates} --rrf-k {rrf_k}"
    return command_line


def _write_json(out_file: Path, result: dict[str, Any]) -> None:
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"{out_file}: cannot write: {exc.strerror or exc}") from exc


def _print_result(result: dict[str, Any], split: str) -> None:
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
