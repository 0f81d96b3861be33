"""`assistant eval`: question sets, reports, gates and comparison through the real CLI entry point.

Fast tests run main() in-process on a fake runtime (hashed bag-of-words embedder, in-memory
store, scripted answerer); the integration tests run the CI set with the real model.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assistant.cli.context import AppContext
from assistant.config import Settings
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from assistant.types import Answer, ScoredChunk, Turn
from tests.cli_helpers import run_main

from .conftest import KNOWLEDGE, ROOT

CI_SET = ROOT / "eval" / "sets" / "ci.yaml"

TINY_SET = """\
- id: t1-ally
  question: "Which country is the closest US ally in Asia?"
  reference: "Japan"
  must_include: [["Japan"]]
  expected_sources:
    - document: japan-second-trump-term.md
      quote: "Japan, the closest US ally in Asia"
- id: t2-bread
  question: "How do I bake sourdough bread?"
  answerable: false
"""


class SourcedAnswerer(FakeAnswerer):
    """FakeAnswerer whose citations also carry the chunk's source path, as the real ones do."""

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        answer = super().answer(question, history, hits)
        sources = {h.chunk.chunk_id: h.chunk.source for h in hits}
        answer.citations = [replace(c, source=sources[c.chunk_id]) for c in answer.citations]
        return answer


def run_cli(
    argv: list[str], capsys: pytest.CaptureFixture[str], app: AppContext | None = None
) -> tuple[int, str, str]:
    """main(argv) in-process, on `app`'s runtime if given: (exit code, stdout, stderr)."""
    return run_main(capsys, argv, obj=app)


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppContext:
    """A context on a fake runtime with the shipped article ingested (and an API key to hide)."""
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-very-secret")
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime(
        settings,
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=SourcedAnswerer(),
    )
    report = runtime.knowledge.ingest([KNOWLEDGE])
    assert report.count("added") == 1
    return AppContext(settings, runtime)


@pytest.fixture
def tiny_set(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SET, encoding="utf-8")
    return path


def test_help_documents_sets_and_both_importers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["eval", "--help"], capsys)
    assert code == 0
    assert out.startswith(
        "Usage: assistant eval [OPTIONS] SET... | beir DIR | squad FILE | verify FILE"
    )
    for text in ("--compare", "--min METRIC=VALUE", "--json", "--out", "beir", "squad", "verify"):
        assert text in out
    code, out, _ = run_cli(["eval", "beir", "--help"], capsys)
    assert code == 0
    assert out.startswith("Usage: assistant eval beir [OPTIONS] DIRECTORY")
    assert "--split" in out and "--limit-docs" in out
    code, out, _ = run_cli(["eval", "squad", "--help"], capsys)
    assert out.startswith("Usage: assistant eval squad [OPTIONS] FILE")
    assert "--limit" in out


def test_eval_writes_reports_with_meta_and_no_secrets(
    fake_app: AppContext, tiny_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        ["eval", str(tiny_set), "--out", str(out_dir), "--k", "4"], capsys, fake_app
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "2 questions: 1 passed, 1 failed (k = 4)"
    assert "FAIL t2-bread: answered an unanswerable question" in lines
    assert lines[-1] == (
        f"reports: {out_dir / 'results.json'}, {out_dir / 'summary.md'}, {out_dir / 'report.html'}"
    )
    data = json.loads((out_dir / "results.json").read_text())
    assert data["metrics"]["abstention_accuracy"] == 0.5
    assert data["metrics"]["must_include"] == 1.0
    assert data["metrics"]["hit_at_k"] == 1.0
    assert data["metrics"]["n_questions"] == 2
    meta = data["meta"]
    assert meta["k"] == 4
    assert meta["sets"] == [str(tiny_set)]
    assert meta["date"].endswith("+00:00")
    assert "git_commit" in meta
    assert meta["settings"]["llm_api_key"] == "***"
    assert "sk-very-secret" not in (out_dir / "results.json").read_text()
    assert "sk-very-secret" not in (out_dir / "report.html").read_text()
    assert [q["id"] for q in data["questions"]] == ["t1-ally", "t2-bread"]
    assert data["questions"][1]["failures"] == ["answered an unanswerable question"]
    assert (out_dir / "summary.md").read_text().startswith("# Evaluation summary")
    assert "<img" in (out_dir / "report.html").read_text()


def test_k_goes_to_retrieval_and_the_shared_runtime_keeps_its_own(
    fake_app: AppContext,
    tiny_set: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runtime = fake_app.runtime
    answerer = runtime.answerer
    passages: list[int] = []
    answer = answerer.answer

    def counting(question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        passages.append(len(hits))
        return answer(question, history, hits)

    monkeypatch.setattr(answerer, "answer", counting)
    argv = ["eval", str(tiny_set), "--out", str(tmp_path / "out"), "--k", "2"]
    code, _, err = run_cli(argv, capsys, fake_app)
    assert code == 0, err
    assert passages == [2, 2]
    assert runtime.chain.retriever.k == runtime.settings.k == 6


def test_json_output_and_passing_gates(
    fake_app: AppContext, tiny_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        [
            "eval",
            str(tiny_set),
            "--out",
            str(tmp_path / "out"),
            "--json",
            "--min",
            "hit_at_k=1",
            "--min",
            "abstention_accuracy=0.5",
            "--min",
            "latency_p95_ms=60000",
        ],
        capsys,
        fake_app,
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["gates_failed"] == []
    assert set(data["metrics"]) >= {
        "must_include",
        "exact_match",
        "f1",
        "hit_at_k",
        "recall_at_k",
        "mrr",
        "citation_precision",
        "citation_recall",
        "supported",
        "abstention_accuracy",
        "latency_p50_ms",
        "latency_p95_ms",
    }
    assert data["metrics"]["hit_at_k"] == 1.0
    assert err == ""


def test_gate_below_minimum_exits_1_with_one_line(
    fake_app: AppContext, tiny_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["eval", str(tiny_set), "--out", str(tmp_path / "out"), "--min", "abstention_accuracy=0.9"],
        capsys,
        fake_app,
    )
    assert code == 1
    assert err.splitlines() == ["gate failed: abstention_accuracy = 0.500 is below the minimum 0.9"]
    assert (tmp_path / "out" / "results.json").is_file()  # the reports are written anyway


def test_compare_shows_deltas(
    fake_app: AppContext, tiny_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"metrics": {"abstention_accuracy": 1.0, "hit_at_k": 0.5}}))
    code, out, err = run_cli(
        ["eval", str(tiny_set), "--out", str(tmp_path / "out"), "--compare", str(old)],
        capsys,
        fake_app,
    )
    assert code == 0, err
    assert f"compared with {old}:" in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert rows["abstention_accuracy"].split()[1:] == ["1.000", "0.500", "-0.500", "worse"]
    assert rows["hit_at_k"].split()[1:] == ["0.500", "1.000", "+0.500", "better"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "missing.yaml"], "error: missing.yaml: no such question set"),
        (
            ["eval", "{set}", "--min", "f1"],
            "error: bad minimum 'f1': expected NAME=VALUE, e.g. f1=0.5",
        ),
        (
            ["eval", "{set}", "--min", "recall=0.5"],
            "error: bad minimum 'recall=0.5': unknown metric",
        ),
        (["eval", "{set}", "--compare", "nope.json"], "error: nope.json: no such results file"),
        (["eval", "{set}", "{set}"], "error: {set}: id 't1-ally' is also used in {set}"),
        (["eval", "beir", "/no/such/dir"], "error: /no/such/dir: no such folder"),
        (["eval", "squad", "/no/such.json"], "error: /no/such.json: no such SQuAD file"),
    ],
)
def test_bad_input_is_one_line(
    fake_app: AppContext,
    tiny_set: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    argv = [a.replace("{set}", str(tiny_set)) for a in argv]
    code, out, err = run_cli(argv, capsys, fake_app)
    assert code == 1
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(message.replace("{set}", str(tiny_set)))


def test_bad_yaml_names_file_and_item(
    fake_app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: a\n  question: q\n  must_include: [x]\n", encoding="utf-8")
    code, _, err = run_cli(["eval", str(bad)], capsys, fake_app)
    assert code == 1
    assert err == f"error: {bad}: item 1 ('a'): must_include must be a list of lists of strings\n"


def test_no_set_is_a_usage_error(fake_app: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["eval"], capsys, fake_app)
    assert code == 2
    assert (
        err.splitlines()[-1] == "Error: give at least one question set (or: beir DIR, squad FILE)"
    )


def test_subcommand_after_an_option_is_explained(
    fake_app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["eval", "--json", "beir", "some/dir"], capsys, fake_app)
    assert code == 2
    assert err.splitlines()[-1] == "Error: put 'beir' first: assistant eval beir ARG [OPTIONS]"


def test_empty_knowledge_base_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    tiny_set: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime = Runtime(
        Settings(data_dir=tmp_path / "empty"),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
    )
    app = AppContext(runtime.settings, runtime)
    code, _, err = run_cli(["eval", str(tiny_set), "--out", str(tmp_path / "out")], capsys, app)
    assert code == 1
    assert err == (
        f"error: the knowledge base in {tmp_path / 'empty'} is empty: `assistant ingest PATH` first\n"
    )


# --- provenance: the commit, whether the tree was dirty, and no dirty results in eval/results ---


GIT_IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false")


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` (a fixed identity, no signing); its standard output."""
    done = subprocess.run(
        ["git", *GIT_IDENTITY, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def clean_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout with one commit and an eval/results/ folder, made the working directory."""
    repo = tmp_path / "repo"
    (repo / "eval" / "results").mkdir(parents=True)
    (repo / "eval" / "results" / "README.md").write_text("results\n")
    (repo / ".gitignore").write_text("ignored/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    monkeypatch.chdir(repo)
    return repo


def make_dirty(repo: Path, how: str) -> None:
    """Leave `repo` with an uncommitted change of the given kind."""
    if how == "untracked":
        (repo / "notes.txt").write_text("new\n")
    elif how == "modified":
        (repo / "eval" / "results" / "README.md").write_text("changed\n")
    elif how == "staged":
        (repo / "staged.txt").write_text("new\n")
        git(repo, "add", "staged.txt")
    else:
        raise ValueError(how)


def test_results_record_the_commit_of_a_clean_tree(
    fake_app: AppContext, tiny_set: Path, clean_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = git(clean_repo, "rev-parse", "HEAD").strip()
    (clean_repo / "ignored").mkdir()
    (clean_repo / "ignored" / "scratch.txt").write_text("ignored by .gitignore\n")
    code, _, err = run_cli(["eval", str(tiny_set), "--out", "eval/results/run"], capsys, fake_app)
    assert code == 0, err
    meta = json.loads((clean_repo / "eval/results/run/results.json").read_text())["meta"]
    assert meta["git_commit"] == head
    assert meta["git_dirty"] is False
    summary = (clean_repo / "eval/results/run/summary.md").read_text()
    assert f"- **git_commit**: {head}" in summary and "- **git_dirty**: False" in summary


@pytest.mark.parametrize("how", ["untracked", "modified", "staged"])
def test_dirty_tree_may_not_write_into_eval_results(
    how: str,
    fake_app: AppContext,
    tiny_set: Path,
    clean_repo: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_dirty(clean_repo, how)
    before = git(clean_repo, "status", "--porcelain", "--untracked-files=all")
    code, out, err = run_cli(["eval", str(tiny_set), "--out", "eval/results/run"], capsys, fake_app)
    assert code == 1
    assert out == ""
    assert err == (
        "error: eval/results/run: refusing to write into eval/results/ from a working tree with "
        "uncommitted changes (see `git status`): commit first, or pass --allow-dirty\n"
    )
    assert not (clean_repo / "eval/results/run").exists()
    assert git(clean_repo, "status", "--porcelain", "--untracked-files=all") == before


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "beir", "no-such-beir-dir", "--out", "eval/results/beir.json"],
        ["eval", "squad", str(ROOT / "tests/data/squad-mini.json"), "--out", "eval/results/sq"],
        ["eval", "verify", "no-such-set.yaml", "--out", "eval/results/verify.json"],
    ],
    ids=["beir", "squad", "verify"],
)
def test_every_eval_writer_refuses_a_dirty_tree(
    argv: list[str], fake_app: AppContext, clean_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dirty(clean_repo, "untracked")
    code, _, err = run_cli(argv, capsys, fake_app)
    assert code == 1
    assert len(err.splitlines()) == 1 and "pass --allow-dirty" in err, err
    assert sorted(p.name for p in (clean_repo / "eval/results").iterdir()) == ["README.md"]


def test_allow_dirty_writes_and_records_it(
    fake_app: AppContext, tiny_set: Path, clean_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_dirty(clean_repo, "modified")
    argv = ["eval", str(tiny_set), "--out", "eval/results/run", "--allow-dirty"]
    code, _, err = run_cli(argv, capsys, fake_app)
    assert code == 0, err
    meta = json.loads((clean_repo / "eval/results/run/results.json").read_text())["meta"]
    assert meta["git_commit"] == git(clean_repo, "rev-parse", "HEAD").strip()
    assert meta["git_dirty"] is True
    assert meta["command"].endswith(" --allow-dirty")


def test_dirty_tree_may_write_elsewhere(
    fake_app: AppContext,
    tiny_set: Path,
    clean_repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_dirty(clean_repo, "untracked")
    for out_dir in ("eval/out/run", str(tmp_path / "elsewhere")):
        code, _, err = run_cli(["eval", str(tiny_set), "--out", out_dir], capsys, fake_app)
        assert code == 0, err
        meta = json.loads((Path(out_dir) / "results.json").read_text())["meta"]
        assert meta["git_dirty"] is True


def test_outside_a_checkout_records_nulls_and_does_not_refuse(
    fake_app: AppContext,
    tiny_set: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no checkout above it counts
    code, _, err = run_cli(["eval", str(tiny_set), "--out", "eval/results/run"], capsys, fake_app)
    assert code == 0, err
    meta = json.loads((plain / "eval/results/run/results.json").read_text())["meta"]
    assert meta["git_commit"] is None and meta["git_dirty"] is None


# --- integration: the CI set with the real model ---------------------------------------------

CI_GATES = [
    "hit_at_k=0.8",
    "must_include=0.6",
    "abstention_accuracy=0.5",
    "citation_precision=0.8",
]


@pytest.fixture
def real_app(real_runtime: Runtime) -> AppContext:
    return AppContext(real_runtime.settings, real_runtime)


@pytest.mark.integration
def test_ci_set_passes_its_gates(
    real_app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", str(CI_SET), "--out", str(tmp_path / "ci"), "--json"]
    for gate in CI_GATES:
        argv += ["--min", gate]
    code, out, err = run_cli(argv, capsys, real_app)
    data: dict[str, Any] = json.loads(out)
    assert code == 0, (err, data["metrics"])
    assert data["gates_failed"] == []
    assert data["metrics"]["n_questions"] == 7
    results = json.loads((tmp_path / "ci" / "results.json").read_text())
    assert {q["id"] for q in results["questions"] if not q["answerable"]} == {
        "q61-un-tomahawk-count",
        "q69-un-bread",
    }


@pytest.mark.integration
def test_ci_gate_above_achieved_fails(
    real_app: AppContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["eval", str(CI_SET), "--out", str(tmp_path / "ci"), "--min", "exact_match=0.99"],
        capsys,
        real_app,
    )
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("gate failed: exact_match = ")
    assert lines[0].endswith(" is below the minimum 0.99")
