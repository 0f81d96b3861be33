"""Library loggers held at a level for the time of a block, then restored: how the CLI, the PDF
parse and the web-page reader keep chatty libraries out of what the user reads."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loggers_at(level: int, *names: str) -> Iterator[None]:
    """The named loggers at `level` inside the block, back at their own levels after it."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, old in zip(loggers, levels, strict=True):
            logger.setLevel(old)
