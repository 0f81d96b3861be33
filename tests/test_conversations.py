"""Kept conversations: the store, the Markdown export, the web page's handler and the terminal
(`chat --resume`, `conversations list | export | delete`), with fake components."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

import pytest

from assistant.chats.markdown import conversation_markdown
from assistant.chats.store import (
    TERMINAL,
    ConversationNotFound,
    ConversationStore,
    browser_owner,
    user_owner,
)
from assistant.cli.context import AppContext
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from assistant.types import Answer, AnswerSentence, Citation
from assistant.ui.conversations import ConversationHandler, list_label
from assistant.ui.handlers import ChatHandler
from assistant.ui.session import ChatSession
from tests.cli_helpers import run_main

DOC = b"# Fleet notes\n\nThe fleet has twelve ships. It was founded in 1954."
ALICE, BOB = user_owner("alice"), user_owner("bob")


def cited(text: str, quote: str, **metadata: str) -> Answer:
    citation = Citation(
        n=1,
        chunk_id="doc-1:0",
        document_id="doc-1",
        title="Fleet <b>notes</b>",
        location="paragraph 2",
        quote=quote,
        passage=quote,
        document_metadata=metadata,
    )
    return Answer(text=text, abstained=False, citations=[citation])


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore.in_data_dir(tmp_path / "data")


# ---- the store ----


def test_a_conversation_is_kept_continued_listed_and_deleted(store: ConversationStore) -> None:
    first = store.append(ALICE, None, "How many ships?", cited("Twelve. [1]", "twelve ships"))
    again = store.append(ALICE, first.id, "Since when?", cited("1954. [1]", "founded in 1954"))
    other = store.append(ALICE, None, "Who founded it?", cited("No one says. [1]", "x"))
    assert again.id == first.id and [e.question for e in again.exchanges] == [
        "How many ships?",
        "Since when?",
    ]
    loaded = store.load(ALICE, first.id)
    assert [(t.role, t.content) for t in loaded.turns()] == [
        ("user", "How many ships?"),
        ("assistant", "Twelve. [1]"),
        ("user", "Since when?"),
        ("assistant", "1954. [1]"),
    ]
    assert loaded.exchanges[0].answer["citations"][0]["quote"] == "twelve ships"
    assert "retrieved" not in loaded.exchanges[0].answer  # evaluation details are not kept
    listed = store.summaries(ALICE)
    assert {s.id for s in listed} == {first.id, other.id} and listed[0].updated >= listed[1].updated
    assert {s.title: s.questions for s in listed} == {"How many ships?": 2, "Who founded it?": 1}
    assert store.latest(ALICE) is not None
    assert store.delete(ALICE, first.id) is True and store.delete(ALICE, first.id) is False
    assert [s.id for s in store.summaries(ALICE)] == [other.id]
    with pytest.raises(ConversationNotFound, match=f"no conversation '{first.id}'"):
        store.load(ALICE, first.id)


def test_one_owner_never_reaches_anothers(store: ConversationStore) -> None:
    kept = store.append(ALICE, None, "How many ships?", cited("Twelve. [1]", "twelve"))
    assert store.summaries(BOB) == [] and store.latest(BOB) is None
    with pytest.raises(ConversationNotFound):
        store.load(BOB, kept.id)
    assert store.delete(BOB, kept.id) is False and store.load(ALICE, kept.id).id == kept.id
    # Bob continuing Alice's id starts his own conversation, and hers is unchanged
    bobs = store.append(BOB, kept.id, "Mine?", cited("Yes. [1]", "y"))
    assert bobs.id != kept.id and len(store.load(ALICE, kept.id).exchanges) == 1
    assert store.summaries(browser_owner("0" * 32)) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "", "ABC", "x" * 300, "0" * 31])
def test_an_id_that_is_not_ours_is_one_line(store: ConversationStore, bad: str) -> None:
    with pytest.raises(ConversationNotFound) as caught:
        store.load(ALICE, bad)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 80


def test_an_unreadable_file_is_left_out_of_the_list(store: ConversationStore) -> None:
    kept = store.append(ALICE, None, "How many ships?", cited("Twelve. [1]", "twelve"))
    folder = store._folder(ALICE)
    (folder / ("f" * 32 + ".json")).write_text("{not json", encoding="utf-8")
    (folder / ("e" * 32 + ".json")).write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert [s.id for s in store.summaries(ALICE)] == [kept.id]
    with pytest.raises(ConversationNotFound, match="cannot be read"):
        store.load(ALICE, "f" * 32)
    assert [p.name for p in folder.glob(".tmp-*")] == []  # writes leave no temporary files


def test_a_read_only_store_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    store = ConversationStore(blocked / "conversations")
    with pytest.raises(AssistantError, match="cannot keep the conversation"):
        store.append(ALICE, None, "How many ships?", cited("Twelve. [1]", "twelve"))


def test_a_long_first_question_is_cut_for_its_title(store: ConversationStore) -> None:
    kept = store.append(ALICE, None, "word " * 40, cited("Twelve. [1]", "twelve"))
    assert len(kept.title) == 80 and kept.title.endswith("…")


# ---- the Markdown export ----


def test_the_export_has_numbered_citations_with_their_quotes(store: ConversationStore) -> None:
    store.append(
        ALICE, None, "How many <ships>?", cited("Twelve ships. [1]", "The fleet has twelve ships.")
    )
    kept = store.append(
        ALICE,
        store.latest(ALICE).id,  # type: ignore[union-attr]
        "And last year?",
        cited(
            "It grew. [1]",
            "It grew last year.",
            site="Fleet Weekly",
            published="2024-05-12",
            author="A. Writer",
            url="https://example.org/fleet",
        ),
    )
    text = conversation_markdown(kept)
    assert text.startswith("# How many &lt;ships&gt;?\n")
    assert "## 1. How many &lt;ships&gt;?" in text and "## 2. And last year?" in text
    assert "Twelve ships. [1]" in text
    assert (
        "1. Fleet &lt;b&gt;notes&lt;/b&gt; — paragraph 2 (doc-1)\n"
        "   > “The fleet has twelve ships.”" in text
    )
    assert (
        "1. Fleet &lt;b&gt;notes&lt;/b&gt;, Fleet Weekly, 12 May 2024 — paragraph 2 (doc-1)\n"
        "   > “It grew last year.”\n   >\n   > (source dated 12 May 2024)\n"
        "   by A. Writer · <https://example.org/fleet>" in text
    )
    assert "<b>" not in text and "<ships>" not in text


def test_the_export_marks_sentences_their_sources_do_not_support(
    store: ConversationStore,
) -> None:
    answer = cited("Twelve ships. [1] Forty tanks. [1]", "twelve ships")
    answer.sentences = [
        AnswerSentence("Twelve ships.", (1,), "supported"),
        AnswerSentence("Forty tanks.", (1,), "contradicted"),
    ]
    text = conversation_markdown(store.append(ALICE, None, "What?", answer))
    assert "- Twelve ships. [1]\n- Forty tanks. [1] **(contradicted by its source)**" in text


# ---- the web page's handler ----


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path / "data", max_history_turns=2)
    runtime = Runtime(
        settings,
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )
    runtime.knowledge.ingest_bytes([("fleet.md", DOC)])
    return runtime


def handlers(runtime: Runtime, tmp_path: Path) -> tuple[ChatHandler, ConversationHandler]:
    kept = ConversationHandler(
        ConversationStore.in_data_dir(runtime.settings.data_dir), max_history_turns=2
    )
    chat = ChatHandler(
        runtime.chain,
        lambda answer: f"<answer>{answer.text}</answer>",
        max_question_chars=200,
        max_history_turns=2,
        kept_passages=2,
        keep=kept.keep,
    )
    return chat, kept


def test_the_reader_is_the_login_else_the_browser() -> None:
    browser_id = "a" * 32
    assert ConversationHandler.reader("alice", browser_id) == (browser_id, "user:alice")
    assert ConversationHandler.reader(None, browser_id) == (browser_id, f"browser:{browser_id}")
    for not_ours in (None, "", "../x", 12, "A" * 32):
        kept, owner = ConversationHandler.reader(None, not_ours)
        assert kept != not_ours and len(kept) == 32 and owner == f"browser:{kept}"
    assert ConversationHandler.reader(None, None)[0] != ConversationHandler.reader(None, None)[0]


def test_answers_are_kept_listed_reopened_and_continued(runtime: Runtime, tmp_path: Path) -> None:
    chat, kept = handlers(runtime, tmp_path)
    session = ChatSession(owner=ALICE)
    messages: list[dict[str, str]] = []
    for question in ("How many ships?", "Since when?", "Who?"):
        _, messages, session = list(chat.respond(question, messages, session))[-1]
    choices, current, total = kept.listing(session)
    assert total == 1
    assert [label.split(" · ")[0] for label, _ in choices] == ["How many ships?"]
    assert current == session.conversation_id and choices[0][1] == current
    assert kept.listing(ChatSession(owner=BOB)) == ([], None, 0)
    # reopened in a new page: the same messages, the chain's latest turns, answers ratable
    shown, resumed, notice = kept.reopen(ChatSession(owner=ALICE), current)
    assert notice == "" and shown == messages
    assert resumed.conversation_id == current and resumed.owner == ALICE
    assert [t.content for t in resumed.turns][::2] == ["Who?"]
    assert sorted(resumed.exchanges) == [1, 3, 5] and resumed.exchanges[3].question == "Since when?"
    _, more, resumed = list(chat.respond("And then?", shown, resumed))[-1]
    assert len(more) == 8 and kept.listing(resumed)[0][0][1] == current  # continued, not new
    assert len(kept.store.load(ALICE, current).exchanges) == 4  # type: ignore[arg-type]


def test_a_new_conversation_keeps_the_reader(runtime: Runtime, tmp_path: Path) -> None:
    chat, kept = handlers(runtime, tmp_path)
    _, _, session = list(chat.respond("How many ships?", [], ChatSession(owner=ALICE)))[-1]
    messages, fresh, box, _ = ChatHandler.new_conversation(session)
    assert (messages, box, fresh.owner, fresh.conversation_id) == ([], "", ALICE, None)
    list(chat.respond("Since when?", [], fresh))
    assert len(kept.listing(fresh)[0]) == 2


def test_a_page_without_a_reader_keeps_nothing(runtime: Runtime, tmp_path: Path) -> None:
    chat, kept = handlers(runtime, tmp_path)
    _, messages, session = list(chat.respond("How many ships?", [], ChatSession()))[-1]
    assert "twelve ships" in messages[-1]["content"] and session.conversation_id is None
    assert kept.listing(session) == ([], None, 0) and kept.export(session) is None


def test_delete_and_export_act_on_the_open_conversation(runtime: Runtime, tmp_path: Path) -> None:
    chat, kept = handlers(runtime, tmp_path)
    _, _, session = list(chat.respond("How many ships?", [], ChatSession(owner=ALICE)))[-1]
    path = Path(kept.export(session) or "")
    assert path.name == "how-many-ships.md" and path.parent.name == session.conversation_id
    text = path.read_text(encoding="utf-8")
    assert "## 1. How many ships?" in text and "   > “" in text and "[1]" in text
    fresh, notice = kept.delete(session)
    assert "Deleted “How many ships?”" in notice and fresh.conversation_id is None
    assert kept.listing(fresh) == ([], None, 0) and not path.exists()
    shown, after, notice = kept.reopen(fresh, session.conversation_id)
    assert shown == [] and "gone" in notice and after.conversation_id is None


def test_failing_to_keep_never_loses_the_answer(runtime: Runtime, tmp_path: Path) -> None:
    chat, kept = handlers(runtime, tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    kept.store = ConversationStore(blocked / "conversations")
    _, messages, session = list(chat.respond("How many ships?", [], ChatSession(owner=ALICE)))[-1]
    assert "twelve ships" in messages[-1]["content"] and session.conversation_id is None


def test_list_labels_carry_the_date() -> None:
    from assistant.chats.store import ConversationSummary

    summary = ConversationSummary(
        "0" * 32, "Why?", "2026-12-01T09:00:00+00:00", "2026-12-02T11:05:09+00:00", 2
    )
    assert list_label(summary) == "Why? · 2 Dec 11:05"


# ---- the terminal ----


@pytest.fixture
def app(runtime: Runtime) -> AppContext:
    return AppContext(runtime.settings, runtime)


def chat(
    app: AppContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    typed: str,
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    return run_main(capsys, ["chat", *argv], obj=app)


def test_chat_is_kept_and_resume_continues_it(
    app: AppContext, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = chat(app, capsys, monkeypatch, "How many ships?\n")
    assert code == 0 and "twelve ships" in out
    store = ConversationStore.in_data_dir(app.settings.data_dir)
    [summary] = store.summaries(TERMINAL)
    first_answer = store.load(TERMINAL, summary.id).exchanges[0].text
    assert "twelve ships" in first_answer
    code, out, _ = chat(app, capsys, monkeypatch, "Since when?\n", "--resume")
    assert code == 0
    assert (
        out.startswith("Continuing “How many ships?” (1 question, last ")
        and f"Its last exchange:\nyou> How many ships?\n{first_answer}\n" in out
    )
    answerer = app.runtime.answerer
    assert isinstance(answerer, FakeAnswerer)
    question, history, _ = answerer.calls[-1]
    # the follow-up was asked with the resumed conversation as its history
    assert question == "Since when?"
    assert [(t.role, t.content) for t in history] == [
        ("user", "How many ships?"),
        ("assistant", first_answer),
    ]
    assert [s.questions for s in store.summaries(TERMINAL)] == [2]
    # --resume ID continues that one; /new starts another
    chat(app, capsys, monkeypatch, "Then?\n/new\nWho?\n", "--resume", summary.id)
    assert sorted(s.questions for s in store.summaries(TERMINAL)) == [1, 3]


def test_chat_no_keep_and_resume_with_nothing_to_resume(
    app: AppContext, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = chat(app, capsys, monkeypatch, "", "--resume")
    assert (code, err) == (
        1,
        "error: there is no earlier conversation to resume: run `assistant chat`\n",
    )
    chat(app, capsys, monkeypatch, "How many ships?\n", "--no-keep")
    assert ConversationStore.in_data_dir(app.settings.data_dir).summaries(TERMINAL) == []
    code, _, err = chat(app, capsys, monkeypatch, "", "--resume", "../../x")
    assert (code, err) == (1, "error: no conversation '../../x'\n")


def test_conversations_list_export_delete(
    app: AppContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    code, out, _ = run_main(capsys, ["conversations", "list"], obj=app)
    assert (code, out) == (0, "No conversations kept yet: `assistant chat` starts one.\n")
    chat(app, capsys, monkeypatch, "How many ships?\n")
    code, out, _ = run_main(capsys, ["conversations", "list", "--json"], obj=app)
    [row] = json.loads(out)
    assert (row["title"], row["questions"]) == ("How many ships?", 1)
    code, out, _ = run_main(capsys, ["conversations", "list"], obj=app)
    assert row["id"] in out and "How many ships?" in out
    code, out, _ = run_main(capsys, ["conversations", "export", row["id"]], obj=app)
    assert code == 0 and out.startswith("# How many ships?\n") and "   > “" in out
    target = tmp_path / "out.md"
    code, out, _ = run_main(
        capsys, ["conversations", "export", row["id"], "-o", str(target)], obj=app
    )
    assert (code, out) == (0, f"wrote {target}\n") and target.read_text().startswith("# How many")
    code, _, err = run_main(
        capsys, ["conversations", "export", row["id"], "--user", "alice"], obj=app
    )
    assert (code, err) == (1, f"error: no conversation '{row['id']}'\n")
    code, out, _ = run_main(capsys, ["conversations", "delete", row["id"]], obj=app)
    assert (code, out) == (0, f"deleted {row['id']} (“How many ships?”)\n")
    code, _, err = run_main(capsys, ["conversations", "delete", row["id"]], obj=app)
    assert (code, err) == (1, f"error: no conversation '{row['id']}'\n")


# ---- what the review found ----


def test_the_export_makes_no_markdown_of_what_it_quotes(store: ConversationStore) -> None:
    hostile = "# Heading [1] [x](javascript:alert(1)) ![i](http://t.example/p.png) `c` *e* | t"
    answer = cited(hostile, "1. a [link](http://x.example) <img src=x>")
    answer.citations[0] = dataclasses.replace(answer.citations[0], document_id="doc`1")
    text = conversation_markdown(store.append(ALICE, None, "- a list? [2](x)", answer))
    assert (
        "\n\\# Heading [1] \\[x\\]\\(javascript:alert(1)) !\\[i\\]\\(http://t.example/p.png)"
        in text
    )
    assert "\\`c\\` \\*e\\* \\| t" in text
    assert "## 1. \\- a list? [2]\\(x)" in text  # the marker stays, the link does not form
    assert "   > “1\\. a \\[link\\]\\(http://x.example) &lt;img src=x&gt;”" in text
    assert "(doc\\`1)" in text
    for made in ("](", "<img", "\n#  Heading", "\n# Heading"):
        assert made not in text


def test_a_stored_file_of_the_wrong_shape_is_one_line_everywhere(
    app: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ConversationStore.in_data_dir(app.settings.data_dir)
    kept = store.append(TERMINAL, None, "How many ships?", cited("Twelve. [1]", "twelve"))
    path = store._folder(TERMINAL) / f"{kept.id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["exchanges"][0]["answer"]["sentences"] = ["not an object"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert store.summaries(TERMINAL) == []
    code, _, err = run_main(capsys, ["conversations", "export", kept.id], obj=app)
    assert code == 1 and err.startswith(f"error: conversation '{kept.id}' cannot be read: ")
    assert err.count("\n") == 1


def first_answer(kept: ConversationHandler) -> str:
    [summary] = kept.store.summaries(ALICE)
    return kept.store.load(ALICE, summary.id).exchanges[0].text


def test_a_reopened_answer_is_rated_with_the_turns_before_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    from assistant.ui.feedback import FeedbackLog
    from assistant.ui.handlers import FeedbackHandler

    chat, kept = handlers(runtime, tmp_path)
    session = ChatSession(owner=ALICE)
    messages: list[dict[str, str]] = []
    for question in ("How many ships?", "Since when?"):
        _, messages, session = list(chat.respond(question, messages, session))[-1]
    live = session.exchanges[3].history
    _, resumed, _ = kept.reopen(ChatSession(owner=ALICE), session.conversation_id)
    assert resumed.exchanges[3].history == live
    assert [t["content"] for t in live] == ["How many ships?", first_answer(kept)]
    feedback = FeedbackHandler(FeedbackLog(tmp_path / "feedback.jsonl"), tmp_path / "exports")
    feedback.rate(resumed, 3, False)
    [logged] = [json.loads(line) for line in (tmp_path / "feedback.jsonl").read_text().splitlines()]
    assert logged["question"] == "Since when?" and logged["history"] == live


def test_exports_are_private_files_deleted_with_their_conversation(
    store: ConversationStore,
) -> None:
    kept = store.append(ALICE, None, "How many ships?", cited("Twelve. [1]", "twelve"))
    path = store.export(ALICE, kept.id, conversation_markdown)
    assert path.parent == store.exports / kept.id and (path.stat().st_mode & 0o777) == 0o600
    with pytest.raises(ConversationNotFound):
        store.export(BOB, kept.id, conversation_markdown)
    assert store.delete(ALICE, kept.id) and not path.parent.exists()


def test_the_page_says_what_it_could_not_do(runtime: Runtime, tmp_path: Path) -> None:
    chat, kept = handlers(runtime, tmp_path)
    _, _, session = list(chat.respond("How many ships?", [], ChatSession(owner=ALICE)))[-1]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the exports folder should be")
    kept.store.exports = blocked / "exports"
    assert kept.export(session) is None  # no download offered, no exception
    kept.store.root.chmod(0o500)
    try:
        folder = kept.store._folder(ALICE)
        folder.chmod(0o500)
        (folder / ".lock").chmod(0o400)
        after, notice = kept.delete(session)
        if os.geteuid() != 0:  # root writes anyway
            assert "cannot delete conversation" in notice and after is session
    finally:
        kept.store.root.chmod(0o700)
        kept.store._folder(ALICE).chmod(0o700)


def test_the_side_list_says_when_it_shows_only_the_latest(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.ui.conversations as conversations

    monkeypatch.setattr(conversations, "SHOWN", 2)
    chat, kept = handlers(runtime, tmp_path)
    session = ChatSession(owner=ALICE)
    for question in ("One?", "Two?", "Three?"):
        _, _, session = list(chat.respond(question, [], session.fresh()))[-1]
    choices, current, total = kept.listing(session)
    assert [label.split(" · ")[0] for label, _ in choices] == ["Three?", "Two?"]
    assert (total, current) == (3, session.conversation_id)


def test_the_terminal_reaches_a_web_logins_conversations(
    app: AppContext, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ConversationStore.in_data_dir(app.settings.data_dir)
    web = store.append(user_owner("ann"), None, "How many ships?", cited("Twelve. [1]", "twelve"))
    code, out, _ = run_main(capsys, ["conversations", "list", "--user", "ann", "--json"], obj=app)
    assert [row["id"] for row in json.loads(out)] == [web.id]
    code, out, _ = chat(app, capsys, monkeypatch, "Since when?\n", "--resume", "--user", "ann")
    assert code == 0 and out.startswith("Continuing “How many ships?” (1 question")
    assert len(store.load(user_owner("ann"), web.id).exchanges) == 2
    assert store.summaries(TERMINAL) == []
    code, out, _ = run_main(capsys, ["conversations", "delete", web.id, "--user", "ann"], obj=app)
    assert (code, out) == (0, f"deleted {web.id} (“How many ships?”)\n")


def test_a_reopened_conversation_keeps_as_many_turns_as_a_live_one(
    runtime: Runtime, tmp_path: Path
) -> None:
    chat, kept = handlers(runtime, tmp_path)
    _, _, session = list(chat.respond("How many ships?", [], ChatSession(owner=ALICE)))[-1]
    kept.max_history_turns = 0  # the setting allows it: answers then use no earlier turns
    _, resumed, _ = kept.reopen(ChatSession(owner=ALICE), session.conversation_id)
    assert resumed.turns == [] and resumed.exchanges[1].history == []
