"""The SQuAD v1.1 and v2.0 importer on hand-made fixtures (contexts from the shipped article).

tests/data/squad-mini.json (v1.1): 3 contexts (paragraphs 4, 8 and 9 of the article), 7 questions
written by hand with their answer spans (answer_start checked against the context).

tests/data/squad2-mini.json (v2.0): the same 3 contexts in 2 articles, in file order
"Tokyo security policy" (2 contexts: 3 answerable, 2 impossible questions) and "Military
diplomacy" (1 context: 2 answerable, 1 impossible); by title the order is the reverse, so
``--articles 1`` is the file's second article.
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
from assistant.types import Answer, ScoredChunk, Turn

from .test_eval_cli import run_cli

FIXTURE = Path(__file__).parent / "data" / "squad-mini.json"
FIXTURE2 = Path(__file__).parent / "data" / "squad2-mini.json"


@pytest.mark.parametrize("fixture", [FIXTURE, FIXTURE2])
def test_fixture_spans_are_exact(fixture: Path) -> None:
    data = json.loads(fixture.read_text(encoding="utf-8"))
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                for answer in qa["answers"] + qa.get("plausible_answers", []):
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
    assert data.articles == [
        "Japan defence spending",
        "Military diplomacy",
        "Official Security Assistance",
    ]


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


# --- SQuAD 2.0: impossible questions, article selection, sampling, decline metrics -----------

ALL_V2 = [
    "sq2-budget-share",
    "sq2-budget-growth",
    "sq2-un-budget-2030",
    "sq2-osa-parallel",
    "sq2-un-osa-recipients",
    "sq2-ibaraki",
    "sq2-germany",
    "sq2-un-france",
]
V2_DOCUMENTS = [
    "squad-0001-tokyo-security-policy.txt",
    "squad-0002-tokyo-security-policy.txt",
    "squad-0003-military-diplomacy.txt",
]


def test_v2_impossible_questions_are_unanswerable_items() -> None:
    data = load_squad(FIXTURE2)
    assert [item.id for item in data.items] == ALL_V2  # file order
    assert [name for name, _ in data.documents] == V2_DOCUMENTS
    assert data.articles == ["Military diplomacy", "Tokyo security policy"]  # title order
    unanswerable = [item for item in data.items if not item.answerable]
    assert [item.id for item in unanswerable] == [
        "sq2-un-budget-2030",
        "sq2-un-osa-recipients",
        "sq2-un-france",
    ]
    assert data.n_unanswerable == 3
    for item in unanswerable:  # plausible_answers are ignored
        assert item.reference is None
        assert item.must_include is None
        assert item.expected_sources == []
    germany = data.items[ALL_V2.index("sq2-germany")]  # "is_impossible": false, as v1.1
    assert germany.answerable
    assert germany.reference == ["Germany"]
    assert germany.must_include == [["Germany"]]
    assert germany.expected_sources == [ExpectedSource(V2_DOCUMENTS[2], "Germany")]


@pytest.mark.parametrize(
    ("spec", "titles", "documents", "ids"),
    [
        ("1", ["Military diplomacy"], V2_DOCUMENTS[2:], ALL_V2[5:]),
        ("2", ["Tokyo security policy"], V2_DOCUMENTS[:2], ALL_V2[:5]),
        ("1-2", ["Military diplomacy", "Tokyo security policy"], V2_DOCUMENTS, ALL_V2),
        (" 2 , 1-1 ", ["Military diplomacy", "Tokyo security policy"], V2_DOCUMENTS, ALL_V2),
    ],
)
def test_articles_are_numbered_by_title(
    spec: str, titles: list[str], documents: list[str], ids: list[str]
) -> None:
    data = load_squad(FIXTURE2, articles=spec)
    assert data.articles == titles
    assert [name for name, _ in data.documents] == documents
    assert [item.id for item in data.items] == ids


def test_stratified_sample_is_deterministic_and_keeps_the_ratio() -> None:
    # 8 questions, 3 unanswerable: a sample of 5 holds round(5 * 3/8) = round(1.875) = 2
    # unanswerable and 3 answerable; of 2, round(2 * 3/8) = round(0.75) = 1 of each.
    first = load_squad(FIXTURE2, sample=5, seed=0)
    again = load_squad(FIXTURE2, sample=5, seed=0)
    assert (
        [item.id for item in first.items]
        == [item.id for item in again.items]
        == [
            "sq2-budget-share",
            "sq2-un-osa-recipients",
            "sq2-ibaraki",
            "sq2-germany",
            "sq2-un-france",
        ]
    )
    samples = set()
    for seed in range(6):
        data = load_squad(FIXTURE2, sample=5, seed=seed)
        assert data.n_unanswerable == 2
        assert [item.id for item in data.items] == [
            i for i in ALL_V2 if i in {x.id for x in data.items}
        ]
        samples.add(tuple(item.id for item in data.items))
    assert len(samples) > 1  # the seed matters
    two = load_squad(FIXTURE2, sample=2, seed=0)
    assert [item.id for item in two.items] == ["sq2-un-osa-recipients", "sq2-ibaraki"]
    # every context of the selected articles is indexed, not only those with sampled questions
    assert [name for name, _ in two.documents] == V2_DOCUMENTS
    # within one article (by title 2: 3 answerable, 2 unanswerable): round(3 * 2/5) = 1
    tokyo = load_squad(FIXTURE2, articles="2", sample=3, seed=0)
    assert tokyo.n_unanswerable == 1
    assert {item.id for item in tokyo.items} <= set(ALL_V2[:5])
    assert [name for name, _ in tokyo.documents] == V2_DOCUMENTS[:2]


def test_limit_on_v2_and_with_articles() -> None:
    data = load_squad(FIXTURE2, limit=3)  # alone: only the contexts asked about
    assert [item.id for item in data.items] == ALL_V2[:3]
    assert [name for name, _ in data.documents] == V2_DOCUMENTS[:1]
    data = load_squad(FIXTURE2, articles="2", limit=1)  # with --articles: the whole article
    assert [item.id for item in data.items] == ALL_V2[:1]
    assert [name for name, _ in data.documents] == V2_DOCUMENTS[:2]


class ScriptedAnswerer(FakeAnswerer):
    """Replies by question: a text (answered, [1] appended), DECLINE (abstains), or NONE_COVERAGE
    (answers with coverage "none": a decline that did not set abstained)."""

    def __init__(self, script: dict[str, str]) -> None:
        super().__init__()
        self.script = script

    def answer(self, question: str, history: list[Turn], hits: list[ScoredChunk]) -> Answer:
        reply = self.script[question]
        if reply == DECLINE:
            return Answer(
                text="The sources don't say.", abstained=True, citations=[], retrieved=hits
            )
        if reply == NONE_COVERAGE:
            return Answer(
                text="The sources don't say.",
                abstained=False,
                citations=[],
                retrieved=hits,
                coverage="none",
            )
        self.enqueue(reply)
        return super().answer(question, history, hits)


DECLINE = "<decline>"
NONE_COVERAGE = "<coverage none>"
WORDS_98 = " ".join(["filler"] * 98)
# Hand-scored: has_answer_gold over the 5 answerable, no_answer_declined over the 3 unanswerable,
# avna over all 8 (answered when answerable, declined when unanswerable).
V2_SCRIPT = {
    # answered, holds "two per cent" (of its GDP): has_answer_gold 1, avna 1
    "sq2-budget-share": "The government announced a budget of two per cent of its GDP.",
    # declined an answerable question: has_answer_gold 0, avna 0
    "sq2-budget-growth": DECLINE,
    # declined an unanswerable question: no_answer_declined 1, avna 1
    "sq2-un-budget-2030": DECLINE,
    # answered and holds the gold text, but 3 + 98 + 1 = 102 words: has_answer_gold 0, avna 1
    "sq2-osa-parallel": f"Official Development Assistance {WORDS_98} framework.",
    # answered an unanswerable question: no_answer_declined 0, avna 0
    "sq2-un-osa-recipients": "Japan will provide equipment and infrastructure development.",
    # answered, "Ibaraki" as a whole word: has_answer_gold 1, avna 1
    "sq2-ibaraki": "The exercises were held in Ibaraki.",
    # coverage "none" counts as declined: has_answer_gold 0, avna 0
    "sq2-germany": NONE_COVERAGE,
    # coverage "none" on an unanswerable question: no_answer_declined 1, avna 1
    "sq2-un-france": NONE_COVERAGE,
}
# has_answer_gold = (1 + 0 + 0 + 1 + 0) / 5 = 0.4; no_answer_declined = (1 + 0 + 1) / 3 = 2/3;
# avna = (1 + 0 + 1 + 1 + 0 + 1 + 0 + 1) / 8 = 5/8 (= abstention_accuracy)


@pytest.fixture
def scripted_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ScriptedAnswerer:
    """Every AppContext gets a fake runtime whose answerer follows V2_SCRIPT."""
    data = load_squad(FIXTURE2)
    by_question = {item.question: V2_SCRIPT[item.id] for item in data.items}
    answerer = ScriptedAnswerer(by_question)
    runtime = Runtime(
        Settings(data_dir=tmp_path / "base"),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=answerer,
    )
    monkeypatch.setattr(AppContext, "runtime", property(lambda self: runtime))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "base"))
    return answerer


def test_eval_squad_v2_decline_metrics(
    scripted_app: ScriptedAnswerer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        ["eval", "squad", str(FIXTURE2), "--json", "--out", str(out_dir)], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["contexts"] == 3
    assert data["unanswerable"] == 3
    assert data["article_titles"] == ["Military diplomacy", "Tokyo security policy"]
    metrics, counts = data["metrics"], data["counts"]
    assert metrics["n_questions"] == 8
    assert metrics["has_answer_gold"] == pytest.approx(0.4)
    assert metrics["no_answer_declined"] == pytest.approx(2 / 3)
    assert metrics["avna"] == pytest.approx(5 / 8)
    assert metrics["abstention_accuracy"] == pytest.approx(5 / 8)
    assert (counts["has_answer_gold"], counts["no_answer_declined"], counts["avna"]) == (5, 3, 8)
    assert counts["f1"] == 5  # the impossible questions have no reference
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    rows = {row["id"]: row for row in results["questions"]}
    assert rows["sq2-germany"]["coverage"] == "none"
    assert rows["sq2-germany"]["abstained"] is False
    assert rows["sq2-germany"]["failures"] == ["abstained on an answerable question"]
    assert rows["sq2-un-budget-2030"]["coverage"] == "none"
    assert rows["sq2-ibaraki"]["coverage"] == "full"
    assert rows["sq2-osa-parallel"]["has_answer_gold"] == 0.0
    assert rows["sq2-osa-parallel"]["must_include"] == 1.0  # must_include has no length limit
    summary = (out_dir / "summary.md").read_text(encoding="utf-8")
    assert "| has_answer_gold | 0.400 | 5 |" in summary
    assert "| no_answer_declined | 0.667 | 3 |" in summary
    assert "| avna | 0.625 | 8 |" in summary

    code, out, err = run_cli(["eval", "squad", str(FIXTURE2)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{FIXTURE2}: 3 contexts, 8 questions, 3 unanswerable (k = 6)"
    table = {line.split()[0]: line.split()[1:] for line in lines[1:] if line.strip()}
    assert table["has_answer_gold"] == ["0.400", "5"]
    assert table["no_answer_declined"] == ["0.667", "3"]
    assert table["avna"] == ["0.625", "8"]


def test_eval_squad_articles_and_sample(
    scripted_app: ScriptedAnswerer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["eval", "squad", str(FIXTURE2), "--articles", "1", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["article_titles"] == ["Military diplomacy"]
    assert (data["contexts"], data["metrics"]["n_questions"], data["unanswerable"]) == (1, 3, 1)
    # sq2-ibaraki 1, sq2-germany 0 (coverage none); sq2-un-france declined
    assert data["metrics"]["has_answer_gold"] == 0.5
    assert data["metrics"]["no_answer_declined"] == 1.0
    assert data["metrics"]["avna"] == pytest.approx(2 / 3)

    argv = ["eval", "squad", str(FIXTURE2), "--sample", "2", "--seed", "0", "--json"]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    data = json.loads(out)
    assert (data["sample"], data["seed"], data["contexts"]) == (2, 0, 3)
    # sq2-un-osa-recipients (answered: avna 0) and sq2-ibaraki (gold: avna 1)
    assert data["metrics"]["n_questions"] == 2
    assert data["metrics"]["avna"] == 0.5
    assert data["metrics"]["has_answer_gold"] == 1.0
    assert data["metrics"]["no_answer_declined"] == 0.0
    assert scripted_app.calls[-1][0] == load_squad(FIXTURE2).items[5].question

    code, out, err = run_cli(["eval", "squad", str(FIXTURE2), "--articles", "2,1"], capsys)
    assert code == 0, err
    assert out.splitlines()[1] == "articles: Military diplomacy, Tokyo security policy"


def test_v1_file_reports_no_decline_metrics(
    scripted_app: ScriptedAnswerer, capsys: pytest.CaptureFixture[str]
) -> None:
    script = {item.question: item.id for item in load_squad(FIXTURE).items}
    scripted_app.script.update(script)  # the answer text is the question id
    code, out, err = run_cli(["eval", "squad", str(FIXTURE), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["unanswerable"] == 0
    for name in ("has_answer_gold", "no_answer_declined", "avna"):
        assert data["metrics"][name] is None
        assert data["counts"][name] == 0
    assert data["metrics"]["abstention_accuracy"] == 1.0
    code, out, err = run_cli(["eval", "squad", str(FIXTURE)], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == f"{FIXTURE}: 3 contexts, 7 questions (k = 6)"
    assert "avna" not in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--articles", "0-1"],
            "Invalid value for '--articles': '0-1': article numbers start at 1",
        ),
        (["--articles", "2-1"], "Invalid value for '--articles': '2-1': the range runs backwards"),
        (
            ["--articles", "1-3"],
            "Invalid value for '--articles': '1-3': the file has only 2 articles",
        ),
        (["--articles", "a-b"], "Invalid value for '--articles': 'a-b' is not a number or a range"),
        (
            ["--articles", "1,,2"],
            "Invalid value for '--articles': '1,,2': expected a range such as",
        ),
        (["--articles", ""], "Invalid value for '--articles': '': expected a range such as"),
        (["--sample", "9"], "Invalid value for '--sample': 9: the selected articles have only 8"),
        (
            ["--sample", "2", "--limit", "2"],
            "Invalid value for '--sample': use --sample or --limit",
        ),
    ],
)
def test_bad_selection_is_one_line(
    scripted_app: ScriptedAnswerer,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    code, out, err = run_cli(["eval", "squad", str(FIXTURE2), *extra], capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"Error: {message}")
    assert "Traceback" not in err
    assert scripted_app.calls == []  # nothing was asked


def test_squad_help_documents_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["eval", "squad", "--help"], capsys)
    assert code == 0
    text = " ".join(out.split())
    for option in ("--articles RANGE", "--sample N", "--seed", "--limit"):
        assert option in text
    assert "sorted by title" in text
    assert "v2.0" in text


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
