"""The limits on parsing one file, and the one-line rejections that name them.

This module owns `ParseLimits` (how much a file may unzip to, how compressed it may be, how much
text and how many PDF pages it may yield, how long reading it may take and how much memory it
may use), where they come from (the settings `ASSISTANT_MAX_UNZIPPED_MB`,
`ASSISTANT_MAX_ZIP_RATIO`, `ASSISTANT_MAX_EXTRACTED_CHARS`, `ASSISTANT_MAX_PDF_PAGES`,
`ASSISTANT_PARSE_TIMEOUT_S`, `ASSISTANT_MAX_PARSE_MEMORY_MB`), the running character budget of
an extraction, and the wording of each over-limit rejection: one line naming the limit and the
setting that sets it. `format_size` is how every message in the package writes a size.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import RejectedFile

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = ["CharBudget", "ParseLimits", "format_size"]

_KB = 1024
_MB = 1024 * 1024


def _number(value: float) -> str:
    """50.0 -> "50", 0.5 -> "0.5", 5000000 -> "5,000,000"."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def format_size(n: int, *, round_up: bool = False) -> str:
    """A size as every message shows it: "25.3 MB", "2 KB", "11 bytes".

    With round_up, a size just over a limit never shows as equal to it.
    """
    for unit, factor in (("MB", _MB), ("KB", _KB)):
        if n >= factor:
            value = n / factor
            if round_up:
                value = math.ceil(value * 10) / 10
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


@dataclass(frozen=True)
class ParseLimits:
    """How much one file may cost to parse; the defaults are the settings' defaults."""

    max_unzipped_mb: float = 50.0
    max_zip_ratio: float = 100.0
    max_extracted_chars: int = 5_000_000
    max_pdf_pages: int = 2000
    parse_timeout_s: float = 60.0
    max_parse_memory_mb: float = 2048.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseLimits:
        """The limits a settings object sets."""
        return cls(
            max_unzipped_mb=settings.max_unzipped_mb,
            max_zip_ratio=settings.max_zip_ratio,
            max_extracted_chars=settings.max_extracted_chars,
            max_pdf_pages=settings.max_pdf_pages,
            parse_timeout_s=settings.parse_timeout_s,
            max_parse_memory_mb=settings.max_parse_memory_mb,
        )

    @classmethod
    def current(cls) -> ParseLimits:
        """The limits of the settings as they are now (environment over the TOML file).

        What the loaders use when their caller passes no limits, so that the settings apply to
        every caller, including those that only pass `max_bytes`. Building the settings costs
        milliseconds, so they are rebuilt only when what they are read from has changed: the
        ASSISTANT_ variables, the working folder, the config file's modification time.
        """
        from assistant.config import DEFAULT_CONFIG_FILE

        environment = tuple(
            sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("ASSISTANT_"))
        )
        config = Path(os.environ.get("ASSISTANT_CONFIG", DEFAULT_CONFIG_FILE))
        try:
            stamp: tuple[int, int] | None = (config.stat().st_mtime_ns, config.stat().st_size)
        except OSError:
            stamp = None
        return _limits_from(environment, os.getcwd(), stamp)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * _MB)

    # --- the rejections ---------------------------------------------------------------------

    def unzipped_too_large(self, shown: str, size: int) -> RejectedFile:
        return RejectedFile(
            f"'{shown}' unzips to {_number(math.ceil(size / _MB * 10) / 10)} MB, over the "
            f"{_number(self.max_unzipped_mb)} MB limit (ASSISTANT_MAX_UNZIPPED_MB)"
        )

    def too_compressed(self, shown: str, member: str, ratio: float) -> RejectedFile:
        return RejectedFile(
            f"'{shown}' is compressed {_number(int(ratio))} to 1 ({member}), over the "
            f"{_number(self.max_zip_ratio)} to 1 limit (ASSISTANT_MAX_ZIP_RATIO)"
        )

    def too_many_pages(self, shown: str, pages: int) -> RejectedFile:
        return RejectedFile(
            f"'{shown}' has {_number(pages)} pages, over the {_number(self.max_pdf_pages)} "
            "page limit (ASSISTANT_MAX_PDF_PAGES)"
        )

    def too_much_text(self, shown: str) -> RejectedFile:
        return RejectedFile(
            f"'{shown}' has more text than the {_number(self.max_extracted_chars)} character "
            "limit (ASSISTANT_MAX_EXTRACTED_CHARS)"
        )

    def too_much_memory(self, shown: str) -> RejectedFile:
        return RejectedFile(
            f"'{shown}' needs more memory to read than the {_number(self.max_parse_memory_mb)} "
            "MB limit (ASSISTANT_MAX_PARSE_MEMORY_MB)"
        )

    def too_slow(self, shown: str) -> RejectedFile:
        return RejectedFile(
            f"'{shown}' took longer to read than the {_number(self.parse_timeout_s)} s limit "
            "(ASSISTANT_PARSE_TIMEOUT_S)"
        )


@functools.lru_cache(maxsize=8)
def _limits_from(
    environment: tuple[tuple[str, str], ...], cwd: str, config_stamp: tuple[int, int] | None
) -> ParseLimits:
    """The current settings' limits; the arguments are only the cache's key."""
    from assistant.config import load_settings

    return ParseLimits.from_settings(load_settings())


class CharBudget:
    """Counts the characters of a document's text as its paragraphs are found.

    Counts exactly what `loaders._assemble` will produce (stripped paragraphs joined by a
    two-character separator), so an extractor can stop at the first paragraph that takes the
    text over the limit instead of extracting the rest of the file first.
    """

    def __init__(self, limits: ParseLimits, shown: str) -> None:
        self.limits = limits
        self.shown = shown
        self.used = 0

    def add(self, text: str) -> None:
        """Count one paragraph; RejectedFile once the text is over the limit."""
        length = len(text.strip())
        if not length:
            return
        self.used += length + (2 if self.used else 0)
        if self.used > self.limits.max_extracted_chars:
            raise self.limits.too_much_text(self.shown)
