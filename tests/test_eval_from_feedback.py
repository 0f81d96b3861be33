"""`assistant eval from-feedback`: thumbs-down answers become draft items a reviewer finishes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from assistant.cli.context import AppContext
from assistant.evaluation.from_feedback import draft_set, read_feedback, select
from assistant.evaluation.questions import load_question_set
from tests.cli_helpers import run_main
from tests.test_eval_cli import fake_app  # noqa: F401  (fixture)

ALLY = "Japan, the closest US ally in Asia, was in the crosshairs during Donald Trump’s presidency"
LINES = [
    {  # the rating, written at the click ...
        "id": "aaaa1111",
        "time": "2026-11-20T10:00:00+00:00",
        "rating": "down",
        "comment": "",
        "question": "Which country is the closest US ally in Asia?",
        "answer": "Japan is a driving member of the Quad grouping. [1]",
        "abstained": False,
        "citations": [
            {
                "n": 1,
                "document_id": "japan-second-trump-term-x",
                "quote": ALLY,
                "source": "knowledge/japan-second-trump-term.md",
            }
        ],
        "history": [],
        "retrieved": [
            {
                "chunk_id": "c1",
                "document_id": "japan-second-trump-term-x",
                "source": "knowledge/japan-second-trump-term.md",
                "text": ALLY + ".",
            },
            {
                "chunk_id": "c2",
                "document_id": "japan-second-trump-term-x",
                "text": "Military diplomacy has expanded further. India and Japan ...",
            },
        ],
    },
    {  # ... a thumbs-up, which is not exported by default ...
        "id": "bbbb2222",
        "time": "2026-11-21T10:00:00+00:00",
        "rating": "up",
        "comment": "",
        "question": "When did Japan establish the OSA?",
        "answer": "In April last year. [1]",
        "abstained": False,
        "citations": [],
    },
    {  # ... an older thumbs-down on a follow-up ...
        "id": "cccc3333",
        "time": "2026-10-01T09:00:00+00:00",
        "rating": "down",
        "comment": "",
        "question": "And with Germany?",
        "answer": "The sources don't say.",
        "abstained": True,
        "citations": [],
        "history": [
            {"role": "user", "content": "Which air force exercises did Japan hold with India?"},
            {"role": "assistant", "content": "Joint fighter aircraft exercises. [1]"},
        ],
    },
]
COMMENT = {
    **LINES[0],
    "comment": "Wrong: it quotes the Quad, not the ally.",
    "time": "2026-11-20T10:01:00+00:00",
}


def write_feedback(data_dir: Path) -> Path:
    path = data_dir / "feedback.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [*LINES, COMMENT]
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return path


def test_the_last_line_of_an_id_is_its_record_and_only_thumbs_down_is_chosen(
    tmp_path: Path,
) -> None:
    records = read_feedback(write_feedback(tmp_path))
    assert [r["id"] for r in records] == ["cccc3333", "aaaa1111", "bbbb2222"]  # by time
    by_id = {r["id"]: r for r in records}
    assert by_id["aaaa1111"]["comment"] == COMMENT["comment"]
    assert [r["id"] for r in select(records)] == ["cccc3333", "aaaa1111"]
    assert [r["id"] for r in select(records, since=dt.date(2026, 11, 1))] == ["aaaa1111"]
    assert len(select(records, ratings=("up", "down"))) == 3


def test_a_draft_loads_as_a_question_set_and_lists_passages_to_keep(tmp_path: Path) -> None:
    records = select(read_feedback(write_feedback(tmp_path)))
    text = draft_set(records, source="feedback.jsonl")
    assert "# Reader's comment: Wrong: it quotes the Quad, not the ally." in text
    assert "# Answer given: Japan is a driving member of the Quad grouping. [1]" in text
    assert "# Answer given: (declined) The sources don't say." in text
    assert "# cited [1]" in text and "# retrieved, not cited" in text
    draft = tmp_path / "draft.yaml"
    draft.write_text(text, encoding="utf-8")
    items = {item.id: item for item in load_question_set(draft)}
    assert set(items) == {"fb-aaaa1111", "fb-cccc3333"}
    follow_up = items["fb-cccc3333"]
    assert follow_up.question == "And with Germany?"
    assert [t.role for t in follow_up.history] == ["user", "assistant"]
    ally = items["fb-aaaa1111"]
    assert ally.answerable
    assert [s.quote for s in ally.expected_sources] == [
        "Japan, the closest US ally in Asia, was in the crosshairs during",
        "Military diplomacy has expanded further",
    ]


def test_export_review_and_run_through_the_cli(
    fake_app: AppContext,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_feedback(fake_app.settings.data_dir)
    draft = tmp_path / "draft.yaml"
    code, out, err = run_main(capsys, ["eval", "from-feedback", "--out", str(draft)], fake_app)
    assert (code, err) == (0, "")
    assert out == f"wrote 2 draft item(s) to {draft}: review them, then `assistant eval {draft}`\n"

    code, _, err = run_main(capsys, ["eval", "from-feedback", "--out", str(draft)], fake_app)
    assert (code, err) == (1, f"error: {draft} exists: choose another --out or add --force\n")
    code, _, err = run_main(
        capsys,
        ["eval", "from-feedback", "--out", str(tmp_path / "x.yaml"), "--since", "2027-01-01"],
        fake_app,
    )
    assert code == 1
    assert err.startswith("error: no thumbs-down answers since 2027-01-01 in ")

    # The reviewer keeps the ally item, marks the follow-up unanswerable, keeps the cited
    # passage only, and says what a right answer contains.
    reviewed = []
    skip = 0
    for line in draft.read_text(encoding="utf-8").splitlines():
        if skip:
            skip -= 1
            continue
        if "# retrieved, not cited" in line:
            skip = 1  # its quote line
            continue
        if line.startswith("  answerable: true") and reviewed[-1].startswith("      content"):
            line = "  answerable: false"
        reviewed.append(line)
        if line.startswith("  question: Which country is the closest"):
            reviewed.append('  must_include: [["Japan"]]')
    draft.write_text("\n".join(reviewed) + "\n", encoding="utf-8")
    items = {i.id: i for i in load_question_set(draft)}
    assert items["fb-cccc3333"].answerable is False
    assert len(items["fb-aaaa1111"].expected_sources) == 1

    out_dir = tmp_path / "out"
    code, out, err = run_main(
        capsys,
        ["eval", str(draft), "--out", str(out_dir), "--min", "hit_at_k=1.0", "--json"],
        fake_app,
    )
    assert code == 0, err
    assert json.loads(out)["metrics"]["hit_at_k"] == 1.0
    code, _, err = run_main(
        capsys,
        ["eval", str(draft), "--out", str(out_dir), "--min", "must_include=1.01"],
        fake_app,
    )
    assert code == 1  # the gate can fail
