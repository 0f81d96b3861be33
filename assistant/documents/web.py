"""Web pages and PDFs fetched by their address, as Documents.

This module owns the fetch: only http and https addresses; time-outs for connecting, for each
read and for the whole download; redirects followed one hop at a time (at most
`FetchLimits.max_redirects`, a loop named as one, each hop http or https); the content type
checked from the headers before the body is read (HTML or PDF for a document, a feed's types for
a feed); the body streamed and dropped once it passes the size limit. A page's article is then
taken out by article_text.py and a PDF read by pdf_text.py, both through loaders.load_bytes
(in a child process, under the parse limits), and the address becomes the document's `url`.

The document's identity is the address asked for (`normalise_url`: no fragment, scheme and host
in lower case), so adding it again replaces it. When the request comes from the web page of a
server listening beyond loopback, connections go through the private-network guard
(private_network.py) unless ASSISTANT_ALLOW_PRIVATE_URLS=1; the command line is not guarded.

Every failure is a RejectedPage whose one line names the address and the reason.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx

from assistant.documents.extraction import clean_name, short_reason
from assistant.documents.limits import ParseLimits, format_size
from assistant.documents.loaders import load_bytes
from assistant.documents.private_network import (
    ALLOW_SETTING,
    RefusedAddress,
    guarded_transport,
)
from assistant.errors import RejectedFile
from assistant.loopback import is_loopback_host
from assistant.types import Document

if TYPE_CHECKING:
    from assistant.config import Settings

# Content types (without parameters) and what they are read as.
DOCUMENT_TYPES: Mapping[str, str] = {
    "text/html": "article",
    "application/xhtml+xml": "article",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
}
FEED_TYPES: Mapping[str, str] = {
    media: "feed"
    for media in (
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    )
}
USER_AGENT = "assistant/0.1 (cited question answering; fetches pages its user adds)"


class RejectedPage(RejectedFile):
    """An address that cannot be added: unreachable, refused, not HTML or PDF, too large..."""


@dataclass(frozen=True)
class FetchLimits:
    """How long a fetch may take, how much it may download, how many redirects it follows."""

    max_bytes: int = 20 * 1024 * 1024
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0  # the longest wait for any part of the answer
    total_timeout_s: float = 60.0  # the whole download, redirects included
    max_redirects: int = 5


@dataclass(frozen=True)
class Download:
    """What an address answered: the last address (after redirects), its kind, the body."""

    url: str
    kind: str  # a value of the content-type mapping asked for: "article", "pdf", "feed"
    data: bytes


def normalise_url(url: str) -> str:
    """The address as the document's identity: http(s) only, with a host, no fragment; scheme
    and host in lower case. RejectedPage for anything else."""
    text = url.strip()
    shown = clean_name(text)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018  (a port that is not a number raises here)
    except ValueError:
        raise RejectedPage(f"'{shown}' is not a valid web address") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise RejectedPage(f"'{shown}' is not an http or https address")
    if not host or any(c.isspace() for c in text):
        raise RejectedPage(f"'{shown}' is not a valid web address")
    netloc = parts.netloc.rsplit("@", 1)
    netloc[-1] = netloc[-1].lower()
    return urlunsplit((parts.scheme.lower(), "@".join(netloc), parts.path or "/", parts.query, ""))


class WebFetcher:
    """Fetches addresses under FetchLimits; with `allow_private` False, through the guard."""

    def __init__(
        self,
        *,
        allow_private: bool = True,
        limits: FetchLimits | None = None,
        parse_limits: ParseLimits | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.limits = limits or FetchLimits()
        self.parse_limits = parse_limits

    @classmethod
    def from_settings(cls, settings: Settings, *, from_web_page: bool) -> WebFetcher:
        """The fetcher for a request from the command line or the web page: the web page of a
        server listening beyond loopback is guarded unless ASSISTANT_ALLOW_PRIVATE_URLS=1."""
        guarded = (
            from_web_page
            and not settings.allow_private_urls
            and not is_loopback_host(settings.host)
        )
        return cls(
            allow_private=not guarded,
            limits=FetchLimits(max_bytes=settings.max_file_bytes),
            parse_limits=ParseLimits.from_settings(settings),
        )

    def fetch(self, url: str) -> Document:
        """The document at `url` (its article, or the PDF), with its address as `url` metadata."""
        address = normalise_url(url)
        download = self.download(address, DOCUMENT_TYPES)
        try:
            document = load_bytes(
                download.data,
                address,
                source=address,
                max_bytes=self.limits.max_bytes,
                limits=self.parse_limits,
                kind=download.kind,
            )
        except RejectedFile as exc:  # no article in it, not a valid PDF, over a parse limit
            raise RejectedPage(str(exc)) from None
        metadata = {**document.metadata, "url": download.url}
        return dataclasses.replace(document, metadata=metadata)

    def download(self, url: str, kinds: Mapping[str, str]) -> Download:
        """The body at `url` when its content type is one of `kinds`; RejectedPage otherwise."""
        address = normalise_url(url)
        limits = self.limits
        timeout = httpx.Timeout(limits.read_timeout_s, connect=limits.connect_timeout_s)
        try:
            with httpx.Client(
                transport=None if self.allow_private else guarded_transport(),
                trust_env=self.allow_private,
                follow_redirects=False,
                timeout=timeout,
                headers={"User-Agent": USER_AGENT},
            ) as client:
                return self._follow(client, address, kinds)
        except RefusedAddress as exc:
            raise RejectedPage(
                f"'{address}' is not fetched for the web page: {exc} (set {ALLOW_SETTING} to allow)"
            ) from None
        except httpx.TimeoutException:
            raise RejectedPage(
                f"'{address}' timed out (no answer within {limits.read_timeout_s:g} s)"
            ) from None
        except httpx.ConnectError as exc:
            raise RejectedPage(f"'{address}' could not be reached ({short_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise RejectedPage(f"'{address}' could not be fetched ({short_reason(exc)})") from None

    def _follow(self, client: httpx.Client, address: str, kinds: Mapping[str, str]) -> Download:
        """Send the request and follow redirects one hop at a time, checking each."""
        deadline = time.monotonic() + self.limits.total_timeout_s
        request = client.build_request("GET", address)
        seen = {address}
        for _ in range(self.limits.max_redirects + 1):
            response = client.send(request, stream=True)
            try:
                if not response.is_redirect or response.next_request is None:
                    return self._read(address, response, kinds, deadline)
                request = response.next_request
            finally:
                response.close()
            target = str(request.url)
            if target in seen:
                raise RejectedPage(f"'{address}' redirects in a loop (back to '{target}')")
            if request.url.scheme not in ("http", "https"):
                raise RejectedPage(f"'{address}' redirects to a non-web address '{target}'")
            seen.add(target)
        raise RejectedPage(f"'{address}' redirects more than {self.limits.max_redirects} times")

    def _read(
        self, address: str, response: httpx.Response, kinds: Mapping[str, str], deadline: float
    ) -> Download:
        """The body of a final answer: its status, type and size checked, within the deadline."""
        if response.status_code >= 400:
            status = f"{response.status_code} {response.reason_phrase}".strip()
            raise RejectedPage(f"'{address}' could not be fetched: {status}")
        media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in kinds:
            wanted = "an RSS or Atom feed" if "feed" in kinds.values() else "HTML or PDF"
            raise RejectedPage(f"'{address}' is not {wanted} ({media or 'no content type'})")
        max_bytes = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise RejectedPage(self._too_large(address, int(declared)))
        body = bytearray()
        for part in response.iter_bytes():
            body.extend(part)
            if len(body) > max_bytes:
                raise RejectedPage(self._too_large(address, None))
            if time.monotonic() > deadline:
                raise RejectedPage(
                    f"'{address}' took longer than {self.limits.total_timeout_s:g} s to download"
                )
        return Download(str(response.url), kinds[media], bytes(body))

    def _too_large(self, address: str, size: int | None) -> str:
        limit = format_size(self.limits.max_bytes)
        if size is None:
            return f"'{address}' is over the {limit} limit (stopped downloading)"
        return f"'{address}' is {format_size(size, round_up=True)}, over the {limit} limit"
