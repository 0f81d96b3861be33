"""Running the command line in-process for tests: exit code, stdout and stderr."""

from __future__ import annotations

import pytest

from assistant.cli.main import main


def run_main(
    capsys: pytest.CaptureFixture[str], argv: list[str], obj: object | None = None
) -> tuple[int, str, str]:
    """main(argv) through its error handling, with an optional pre-built context (fakes)."""
    code = 0
    try:
        main(argv, obj=obj)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
