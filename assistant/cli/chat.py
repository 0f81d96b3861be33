"""`assistant chat` (a kept conversation in the terminal, `--resume` to continue one) and
`assistant conversations list | export | delete`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from assistant.chats.markdown import conversation_markdown, written_time
from assistant.chats.store import TERMINAL, Conversation, ConversationStore, user_owner
from assistant.cli.ask import render_answer
from assistant.cli.context import AppContext, pass_app, print_json
from assistant.errors import AssistantError
from assistant.types import Turn, plural

LAST = "last"


def _store(app: AppContext) -> ConversationStore:
    return ConversationStore.in_data_dir(app.settings.data_dir)


def _resumed(store: ConversationStore, owner: str, which: str) -> Conversation:
    """The owner's conversation to continue: the latest, or the one with id `which`."""
    if which != LAST:
        return store.load(owner, which)
    latest = store.latest(owner)
    if latest is None:
        raise AssistantError("there is no earlier conversation to resume: run `assistant chat`")
    return latest


def _show_resumed(conversation: Conversation, console: Console) -> None:
    console.print(
        f"Continuing “{conversation.title}” ({plural(len(conversation.exchanges), 'question')}, "
        f"last {written_time(conversation.updated)}). Its last exchange:",
        style="dim",
        markup=False,
    )
    last = conversation.exchanges[-1]
    console.print(f"you> {last.question}", markup=False)
    console.print(last.text, markup=False)


_USER = click.option(
    "--user",
    metavar="NAME",
    default=None,
    help="The conversations of this web login (default: the terminal's).",
)


def _owner(user: str | None) -> str:
    return TERMINAL if user is None else user_owner(user)


@click.command()
@click.option(
    "--resume",
    is_flag=False,
    flag_value=LAST,
    default=None,
    metavar="[ID]",
    help="Continue the last conversation (or the one with this id, from 'conversations list').",
)
@click.option(
    "--no-keep", is_flag=True, help="Do not keep this conversation in the data directory."
)
@_USER
@pass_app
def chat(app: AppContext, resume: str | None, no_keep: bool, user: str | None) -> None:
    """A conversation in the terminal (follow-ups use the conversation; Ctrl-D to quit).

    It is kept in the data directory, so `assistant chat --resume` continues it later."""
    store, owner = _store(app), _owner(user)
    conversation = _resumed(store, owner, resume) if resume is not None else None
    chain = app.runtime.chain
    console = Console(highlight=False, soft_wrap=True)
    history: list[Turn] = conversation.turns() if conversation else []
    conversation_id = conversation.id if conversation else None
    if conversation is not None:
        _show_resumed(conversation, console)
    console.print(
        "Ask about the knowledge base. Empty line or Ctrl-D to quit; /new starts over.", style="dim"
    )
    while True:
        try:
            question = console.input("[bold]you>[/bold] ")
        except EOFError:
            console.print()
            return
        if not question.strip():
            return
        if question.strip() == "/new":
            history, conversation_id = [], None
            console.print("(new conversation)", style="dim")
            continue
        try:
            answer = chain.ask(question, history)
        except AssistantError as exc:
            console.print(f"error: {exc}", style="red", markup=False)
            continue
        render_answer(answer, console)
        console.print()
        history += [Turn("user", question), Turn("assistant", answer.text)]
        if not no_keep:
            try:
                conversation_id = store.append(owner, conversation_id, question, answer).id
            except AssistantError as exc:
                console.print(f"warning: {exc}", style="yellow", markup=False)


@click.group()
def conversations() -> None:
    """List, export or delete kept conversations."""


@conversations.command("list")
@_USER
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@pass_app
def list_conversations(app: AppContext, user: str | None, as_json: bool) -> None:
    """The kept conversations, the most recently continued first."""
    summaries = _store(app).summaries(_owner(user))
    if as_json:
        print_json([s.__dict__ for s in summaries])
        return
    console = Console(highlight=False, width=None if Console().is_terminal else 200)
    if not summaries:
        console.print("No conversations kept yet: `assistant chat` starts one.")
        return
    table = Table("id", "first question", "questions", "last", box=None, pad_edge=False)
    for s in summaries:
        table.add_row(s.id, s.title, str(s.questions), written_time(s.updated))
    console.print(table)


@conversations.command("export")
@click.argument("conversation_id", metavar="ID")
@_USER
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the Markdown to this file (default: print it).",
)
@pass_app
def export_conversation(
    app: AppContext, conversation_id: str, user: str | None, output: Path | None
) -> None:
    """A conversation as Markdown, with each answer's numbered sources and quotes."""
    text = conversation_markdown(_store(app).load(_owner(user), conversation_id))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"cannot write '{output}': {exc.strerror or exc}") from exc
    click.echo(f"wrote {output}")


@conversations.command("delete")
@click.argument("conversation_id", metavar="ID")
@_USER
@pass_app
def delete_conversation(app: AppContext, conversation_id: str, user: str | None) -> None:
    """Delete a kept conversation."""
    store = _store(app)
    owner = _owner(user)
    title = store.load(owner, conversation_id).title
    store.delete(owner, conversation_id)
    click.echo(f"deleted {conversation_id} (“{title}”)")
