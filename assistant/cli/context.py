"""What every command shares: the settings and the runtime, built once per invocation."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from assistant.config import Settings
from assistant.runtime import Runtime


class AppContext:
    """Holds the settings object made in main and the runtime, built on first use.

    A caller that has built its components already (tests, with fakes) hands in `runtime`; its
    settings should be the runtime's.
    """

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.settings = settings
        self._runtime = runtime
        self._owns_runtime = runtime is None  # a runtime handed in is the caller's to close

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.settings)
        return self._runtime

    def close(self) -> None:
        """Stop what the runtime started (the local LLM server, the registry), if built here."""
        if self._runtime is not None and self._owns_runtime:
            self._runtime.close()


pass_app = click.make_pass_decorator(AppContext)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()
