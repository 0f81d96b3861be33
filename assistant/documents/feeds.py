"""Following a publication: the entries of an RSS or Atom feed that are not in the knowledge base yet.

This module owns reading a feed with feedparser (fetched by web.py under the same limits and
guard as a page; parsed from the bytes, so feedparser itself never opens an address or a file),
the entries' addresses (relative links resolved against the feed's address, each normalised as
a document's identity), and which of them are new: an entry whose address is already a
document's is reported as unchanged without being fetched again.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import feedparser

from assistant.documents.extraction import short_reason
from assistant.documents.web import FEED_TYPES, RejectedPage, WebFetcher, normalise_url

if TYPE_CHECKING:
    from assistant.index.writer import ProgressFn
    from assistant.knowledge import FileResult, IngestReport, KnowledgeBase


def entry_urls(data: bytes, feed_url: str) -> list[str]:
    """The addresses of a feed's entries, in the feed's order, each once; RejectedPage when the
    bytes are not a feed."""
    parsed = feedparser.parse(io.BytesIO(data))
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = short_reason(parsed.bozo_exception) if parsed.bozo else "no entries"
        raise RejectedPage(f"'{feed_url}' is not an RSS or Atom feed ({reason})")
    urls: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not isinstance(link, str) or not link.strip():
            continue
        try:
            urls.append(normalise_url(urljoin(feed_url, link.strip())))
        except RejectedPage:
            continue  # an entry that links nowhere fetchable (mailto:, a bad address)
    return list(dict.fromkeys(urls))


def read_feed(fetcher: WebFetcher, feed_url: str) -> list[str]:
    """Fetch the feed at `feed_url` and return its entries' addresses."""
    address = normalise_url(feed_url)
    download = fetcher.download(address, FEED_TYPES)
    return entry_urls(download.data, address)


def split_known(urls: Iterable[str], kb: KnowledgeBase) -> tuple[list[str], list[FileResult]]:
    """Entries not in the knowledge base yet, and an unchanged result for each one that is."""
    from assistant.knowledge import FileResult

    known = {record.path: record for record in kb.documents()}
    new: list[str] = []
    present: list[FileResult] = []
    for url in urls:
        record = known.get(url)
        if record is None:
            new.append(url)
        else:
            present.append(
                FileResult(
                    url,
                    "unchanged",
                    "already added",
                    record.document_id,
                    record.title,
                    record.chunks,
                )
            )
    return new, present


def ingest_feed(
    kb: KnowledgeBase,
    fetcher: WebFetcher,
    feed_url: str,
    *,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Add the entries of the feed at `feed_url` that are not in yet (a feed that cannot be read
    is one rejected result, and nothing is added)."""
    from assistant.knowledge import FileResult, IngestReport

    try:
        urls = read_feed(fetcher, feed_url)
    except RejectedPage as exc:
        return IngestReport(results=[FileResult(feed_url.strip(), "rejected", str(exc))])
    new, present = split_known(urls, kb)
    report = kb.ingest_urls(new, fetcher.fetch, progress=progress)
    report.results[:0] = present
    return report
