"""Files a reader uploads: this app's own upload folder, and the size limits on what it takes in.

The limits on one file and on one upload are checked here, for the page's uploads and the
`/upload` API alike, before anything is read or decoded; the request guard (`guard.py`) only
bounds the bytes of a request, and the loaders check the size of what they are given again.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.documents.limits import format_size
from assistant.errors import AssistantError
from assistant.index.datadir import UPLOADS
from assistant.knowledge import FileResult

UPLOAD_FOLDER = UPLOADS  # in the data directory: Gradio's temp folder for this app


def upload_folder(settings: Settings) -> Path:
    """This app's own folder for uploaded files, made Gradio's temp folder (GRADIO_TEMP_DIR).

    Gradio reads the variable when the page is built and launched and when it checks a file
    path sent with an event, so one process serves one app's uploads.
    """
    folder = (settings.data_dir / UPLOAD_FOLDER).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def over_file_limit(size: int, max_bytes: int) -> str | None:
    """Why a file of `size` bytes is refused ("larger than the 20 MB upload limit"), or None."""
    if size > max_bytes:
        return f"larger than the {format_size(max_bytes)} upload limit"
    return None


def over_upload_limit(total: int, max_total: int) -> str | None:
    """Why files of `total` bytes together are refused as one upload, or None."""
    if total > max_total:
        return (
            f"these files come to {format_size(total, round_up=True)} together; one upload may "
            f"hold {format_size(max_total)}; nothing was added"
        )
    return None


def decode_upload(name: str, content_base64: str, max_bytes: int) -> bytes:
    """The bytes of a file sent in base64, refused (AssistantError) when over the file limit
    (checked before decoding) or not valid base64."""
    padding = len(content_base64) - len(content_base64.rstrip("="))
    refusal = over_file_limit(len(content_base64) * 3 // 4 - min(padding, 2), max_bytes)
    if refusal is not None:
        raise AssistantError(f"'{name}' is {refusal}")
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AssistantError("content_base64 is not valid base64") from exc


@dataclass(frozen=True)
class UploadInbox:
    """The upload folder and the limits on what is taken from it."""

    folder: Path
    max_file: int
    max_total: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadInbox:
        return cls(upload_folder(settings), settings.max_file_bytes, settings.max_upload_bytes)

    def read(self, paths: list[str]) -> tuple[list[tuple[str, bytes]], list[FileResult]]:
        return read_uploads(paths, self.max_file, upload_dir=self.folder, max_total=self.max_total)


def _size(path: Path) -> int:
    """A file's size, 0 when it cannot be read (read_uploads then reports it as unreadable)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_uploads(
    paths: list[str],
    max_bytes: int,
    *,
    upload_dir: Path | None = None,
    max_total: int | None = None,
) -> tuple[list[tuple[str, bytes]], list[FileResult]]:
    """(original name, bytes) of each uploaded temp file; too-large files rejected unread.

    The temp files are Gradio's; their names are only labels and they are deleted once read.
    With `upload_dir`, a path outside it (a file this app never received) refuses the whole
    upload and is left alone; with `max_total`, so do files larger than it together. Refusals
    are AssistantErrors (one line); nothing is read then.
    """
    files = [Path(raw) for raw in paths]
    ours = files
    if upload_dir is not None:
        root = upload_dir.resolve()
        ours = [f for f in files if f.resolve().is_relative_to(root)]
    try:
        foreign = next((f for f in files if f not in ours), None)
        if foreign is not None:
            raise AssistantError(
                f"'{foreign.name}' is not a file uploaded to this page; nothing was added"
            )
        if max_total is not None:
            refusal = over_upload_limit(sum(_size(f) for f in files), max_total)
            if refusal is not None:
                raise AssistantError(refusal)
        return _read_each(files, max_bytes)
    finally:
        for path in ours:
            with contextlib.suppress(OSError):
                path.unlink()


def _read_each(
    files: list[Path], max_bytes: int
) -> tuple[list[tuple[str, bytes]], list[FileResult]]:
    items: list[tuple[str, bytes]] = []
    rejected: list[FileResult] = []
    for path in files:
        name = path.name or "upload"
        try:
            refusal = over_file_limit(path.stat().st_size, max_bytes)
            if refusal is not None:
                rejected.append(FileResult(name, "rejected", refusal))
            else:
                items.append((name, path.read_bytes()))
        except OSError as exc:
            rejected.append(
                FileResult(name, "rejected", f"could not read the upload ({exc.strerror})")
            )
    return items, rejected
