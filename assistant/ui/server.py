"""Serving the page: the launch options (no share link, no analytics, limits, the request
guard, sign-in), the look, and the server a reader reaches with `assistant serve`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.loopback import is_loopback_host
from assistant.runtime import Runtime
from assistant.ui.app import create_app
from assistant.ui.guard import allowed_host_names, guard_middleware

CSS_FILE = Path(__file__).with_name("style.css")
JS_FILE = Path(__file__).with_name("page.js")


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` -> (user, password); empty -> None; anything else is a one-line error."""
    if value is None or value == "":
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise AssistantError("ASSISTANT_AUTH must look like user:password (both parts non-empty)")
    return user, password


def theme() -> gr.themes.Base:
    """Gradio's default look with system fonts only: nothing is fetched from font servers."""
    return gr.themes.Default(
        primary_hue=gr.themes.colors.indigo,
        neutral_hue=gr.themes.colors.slate,
        font=[
            gr.themes.Font("system-ui"),
            gr.themes.Font("-apple-system"),
            "Segoe UI",
            "sans-serif",
        ],
        font_mono=[gr.themes.Font("ui-monospace"), "Menlo", "Consolas", "monospace"],
        radius_size=gr.themes.sizes.radius_md,
    )


def launch_options(runtime: Runtime, host: str | None = None) -> dict[str, Any]:
    """The launch() arguments: no share link, no analytics, size limits, and the request guard
    (host names, origins, body sizes, sign-in throttle) for a server bound to `host`."""
    settings = runtime.settings
    auth = parse_auth(settings.auth.get_secret_value() if settings.auth is not None else None)
    return {
        "app_kwargs": {"middleware": guard_middleware(settings, host or settings.host)},
        "share": False,
        "auth": auth,
        "auth_message": "Sign in to the knowledge assistant." if auth else None,
        "max_file_size": settings.max_file_bytes,
        "theme": theme(),
        "css_paths": [CSS_FILE],
        "js": JS_FILE.read_text(encoding="utf-8"),
        "footer_links": ["api"],
        "run_history": False,
        "ssr_mode": False,
        "show_error": False,
        "quiet": True,
    }


def serve(runtime: Runtime, host: str, port: int) -> None:
    """Serve the page until interrupted."""
    options = launch_options(runtime, host)  # a malformed ASSISTANT_AUTH fails before loading
    if not is_loopback_host(host):
        if options["auth"] is None:
            print(
                f"warning: serving on {host} without ASSISTANT_AUTH: anyone who can reach this "
                "port can read and change the knowledge base",
                file=sys.stderr,
            )
        names = ", ".join(sorted(allowed_host_names(host, runtime.settings.allowed_hosts)))
        print(
            f"note: answering only requests for {names} (ASSISTANT_ALLOWED_HOSTS adds names)",
            file=sys.stderr,
        )
    app = create_app(runtime)
    runtime.embedder.embed_query("warm up")
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving the assistant on http://{shown}:{port} (Ctrl+C to stop)", flush=True)
    app.launch(server_name=host, server_port=port, **options)
