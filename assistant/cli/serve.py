"""`assistant serve`: the web chat on loopback (or where --host says)."""

from __future__ import annotations

import click

from assistant.cli.context import AppContext, pass_app


@click.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 7860).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve the web chat."""
    from assistant.ui.server import serve as run

    settings = app.settings
    run(app.runtime, host or settings.host, port or settings.port)
