"""User-facing errors: each carries one line that the CLI and the web page show as is."""


class AssistantError(Exception):
    """An error the user can act on; its message is one line, shown without a traceback."""


class RejectedFile(AssistantError):
    """A file that cannot be ingested (unsupported, unreadable, empty, too large)."""


class BadQuestion(AssistantError):
    """A question that cannot be asked (empty, only whitespace, too long)."""


class StoreBusy(AssistantError):
    """Another process holds the data directory's write lock."""


class MissingExtra(AssistantError):
    """An optional backend whose packages are not installed."""
