"""The `assistant` command group and its entry point (errors become one line, exit 1)."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from pydantic import ValidationError

from assistant.offline import enforce_offline
from assistant.quiet import loggers_at


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="ASSISTANT_DATA_DIR",
    help="Where all state lives (default ./.assistant; env ASSISTANT_DATA_DIR).",
)
@click.version_option(package_name="assistant")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Cited answers from a curated knowledge base, offline by default."""
    from assistant.cli.context import AppContext
    from assistant.config import load_settings

    if ctx.obj is None:  # tests hand in a context with fake components
        overrides = {"data_dir": data_dir} if data_dir is not None else {}
        ctx.obj = AppContext(load_settings(**overrides))
        ctx.call_on_close(ctx.obj.close)  # on every way out of the command, errors included


def _register() -> None:
    """Add the commands (imported here, after `enforce_offline`: they import the models' stack)."""
    from assistant.cli import ask, chat, doctor, eval, ingest, serve, sources

    cli.add_command(ingest.ingest)
    cli.add_command(sources.sources)
    cli.add_command(ask.ask)
    cli.add_command(chat.chat)
    cli.add_command(chat.conversations)
    cli.add_command(serve.serve)
    cli.add_command(eval.command)
    cli.add_command(doctor.command)


_CHATTY_LOGGERS = ("chromadb", "httpx", "sentence_transformers", "pypdf", "bm25s", "urllib3")


@contextmanager
def _quiet_libraries() -> Iterator[None]:
    """While a command runs: no library warnings and only the errors of chatty libraries (the user
    gets our one-line messages instead). Restored afterwards, so an in-process caller keeps its own.
    """
    with warnings.catch_warnings(), loggers_at(logging.ERROR, *_CHATTY_LOGGERS):
        warnings.simplefilter("ignore")
        yield


def main(argv: list[str] | None = None, obj: object | None = None) -> None:
    """Entry point: offline environment first, then the command; one-line errors, never a traceback."""
    enforce_offline()
    _register()
    with _quiet_libraries():
        _run(argv, obj)


def _run(argv: list[str] | None, obj: object | None) -> None:
    """The command, its failures turned into one line on stderr and an exit code."""
    from assistant.errors import AssistantError

    try:
        cli.main(args=argv, prog_name="assistant", standalone_mode=False, obj=obj)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AssistantError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        click.echo(f"error: setting {where}: {first['msg']}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: still one line, with the way to see more
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        click.echo(
            f"error: unexpected {type(exc).__name__}: {exc} (ASSISTANT_DEBUG=1 shows the traceback)",
            err=True,
        )
        sys.exit(1)
