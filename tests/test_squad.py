"""The SQuAD v1.1 importer on a hand-made fixture (contexts from the shipped article).

tests/data/squad-mini.json: 3 contexts (paragraphs 4, 8 and 9 of the article), 7 questions
written by hand with their answer spans (answer_start checked against the context).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli.context import AppContext
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation import run_eval
from assistant.evaluation.metrics import ExpectedSource
from assistant.evaluation.squad import load_squad, squad_runtime
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore

from .test_eval_cli import run_cli

FIXTURE = Path(__file__).parent / "data" / "squad-mini.json"


def test_fixture_spans_are_exact() -> None:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                for answer in qa["answers"]:
                    start = answer["answer_start"]
                    assert context[start : start + len(answer["text"])] == answer["text"]


def test_load_makes_documents_and_items() -> None:
    data = load_squad(FIXTURE)
    assert [name for name, _ in data.documents] == [
        "squad-0001-japan-defence-spending.txt",
        "squad-0002-military-diplomacy.txt",
        "squad-0003-official-security-assistance.txt",
    ]
    assert data.documents[1][1].startswith("Military diplomacy has expanded further.")
    assert [item.id for item in data.items] == [
        "sq-budget-share",
        "sq-budget-growth",
        "sq-tomahawk",
        "sq-ibaraki",
        "sq-germany",
        "sq-osa-parallel",
        "sq-osa-provide",
    ]
    first = data.items[0]
    assert first.reference == ["two per cent", "two per cent of its GDP"]
    assert first.must_include == [["two per cent", "two per cent of its GDP"]]
    assert first.expected_sources == [
        ExpectedSource("squad-0001-japan-defence-spending.txt", "two per cent")
    ]
    assert all(item.answerable and not item.history for item in data.items)


def test_limit_keeps_only_the_contexts_asked_about() -> None:
    data = load_squad(FIXTURE, limit=4)
    assert len(data.items) == 4
    assert [name for name, _ in data.documents] == [
        "squad-0001-japan-defence-spending.txt",
        "squad-0002-military-diplomacy.txt",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"version": "1.1"}', "not a SQuAD file \\(no 'data' list\\)"),
        (
            '{"data": [{"paragraphs": [{"context": ""}]}]}',
            "article 1 paragraph 1: needs a non-empty",
        ),
        (
            '{"data": [{"paragraphs": [{"context": "c", "qas": '
            '[{"id": "x", "question": "q?", "answers": []}]}]}]}',
            "question 'x' has no answers",
        ),
        ('{"data": [{"paragraphs": [{"context": "c", "qas": []}]}]}', "no questions with answers"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AssistantError, match=message):
        load_squad(path)


def test_end_to_end_scores_scripted_answers(tmp_path: Path) -> None:
    answerer = FakeAnswerer()
    answerer.enqueue(
        "two per cent",  # EM 1 (4 of 7 in all)
        "65 per cent higher",  # F1 2 * (3/4 * 1) / (3/4 + 1) = 6/7
        "Tomahawk",  # EM 1
        "Germany",  # wrong: 0
        "Germany",  # EM 1
        "the Official Development Assistance",  # EM 1 (articles are dropped)
        "equipment",  # F1 2 * (1 * 1/4) / (1 + 1/4) = 0.4
    )
    base = Runtime(
        Settings(data_dir=tmp_path / "base"),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=answerer,
    )
    data = load_squad(FIXTURE)
    with squad_runtime(base.settings, base, data) as runtime:
        assert runtime.knowledge.chunk_count() >= 3
        run = run_eval(data.items, runtime.chain.ask, k=3, progress=False)
    assert run.metrics["exact_match"] == pytest.approx(4 / 7)
    assert run.metrics["f1"] == pytest.approx((4 + 6 / 7 + 0.4) / 7)
    assert run.metrics["must_include"] == pytest.approx(5 / 7)  # 65 per cent (higher) counts
    ibaraki = next(row for row in run.rows if row.id == "sq-ibaraki")
    assert ibaraki.failures[0].startswith("must_include: missing one of ")
    assert run.counts["exact_match"] == 7


def test_eval_squad_command(
    monkeypatch: pytest.MonkeyPatch, fake_runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(AppContext, "runtime", property(lambda self: fake_runtime))
    code, out, err = run_cli(["eval", "squad", str(FIXTURE), "--limit", "3", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["contexts"] == 1
    assert data["metrics"]["n_questions"] == 3
    for name in ("exact_match", "f1", "must_include", "hit_at_k"):
        assert 0 <= data["metrics"][name] <= 1
    assert data["counts"]["f1"] == 3
    code, out, err = run_cli(["eval", "squad", str(FIXTURE), "--limit", "2"], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == f"{FIXTURE}: 1 contexts, 2 questions (k = 6)"


@pytest.mark.integration
def test_squad_fixture_with_the_real_model(
    monkeypatch: pytest.MonkeyPatch, real_runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(AppContext, "runtime", property(lambda self: real_runtime))
    code, out, err = run_cli(["eval", "squad", str(FIXTURE), "--json"], capsys)
    assert code == 0, err
    metrics = json.loads(out)["metrics"]
    assert metrics["hit_at_k"] == 1.0  # 3 short contexts: the right one is always retrieved
    assert 0 < metrics["f1"] < 1  # whole sentences against short spans
