"""What every command shares: the settings and the runtime, built once per invocation."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from assistant.config import Settings
from assistant.runtime import Runtime


class AppContext:
    """Holds the settings object made in main and the lazily built runtime."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(self.settings)
        return self._runtime


pass_app = click.make_pass_decorator(AppContext)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()
