"""The served app's HTTP defences: one ASGI middleware in front of Gradio's routes.

It owns what must be decided before Gradio reads a request:

- **Host and Origin** (DNS rebinding): only the loopback names (localhost, 127.0.0.1, [::1]), the
  address the server binds and the names in ASSISTANT_ALLOWED_HOSTS are answered, with any port;
  a request for another host name, or sent by a page of another origin, is refused (403).
- **Body size**: a body whose declared Content-Length is over the limit is refused unread, and a
  streamed one is cut off at it (Starlette's RequestBodyLimitMiddleware) (413). File uploads have
  their own limit (ASSISTANT_MAX_UPLOAD_MB); every other request the size of one file in base64.
  These bound the bytes of a request; what an upload may hold is checked in `uploads.py`.
- **Sign-ins**: after too many failed sign-ins from one client address, that address may not try
  again for a while (429).
- **Malformed uploads**: a file part without a file name gets a one-line 400, not Gradio's 500.

Gradio puts its own CORS and compression middleware outside this one, so a CORS preflight
(OPTIONS) is answered by Gradio; the request that follows it is refused here.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from assistant.config import REQUEST_SLACK_BYTES, Settings
from assistant.documents.limits import format_size

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
UPLOAD_ROUTE = "/gradio_api/upload"
LOGIN_ROUTE = "/login"
LOGIN_FAILED = frozenset({400, 401, 403})

HOST_REFUSED = (
    "Forbidden: this server does not answer to that host name "
    "(ASSISTANT_ALLOWED_HOSTS lists the names it may be reached by)"
)
ORIGIN_REFUSED = "Forbidden: requests sent by a page of another origin are not accepted"
NAMELESS_FILE = "Bad upload: every file in an upload needs a file name"


def host_name(value: str | None) -> str | None:
    """The host name in a Host header ("kb.example.org:7860", "[::1]") or an Origin
    ("http://localhost:7860"): lower case, no brackets, port or final dot. None when it holds
    anything else (user info, a path, a bad port) or nothing."""
    if not value or "@" in value:
        return None
    try:
        parts = urlsplit(value if "://" in value else "//" + value)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return None
    if parts.path or parts.query or parts.fragment or not parts.hostname:
        return None
    return parts.hostname.rstrip(".") or None


def allowed_host_names(bind_host: str, configured: Iterable[str] = ()) -> frozenset[str]:
    """The names the server answers to: loopback, the address it binds (unless a wildcard such
    as 0.0.0.0) and the configured names. Loopback names are always safe: a page rebinding its
    own name to 127.0.0.1 still sends its own name as the Host."""
    bind = bind_host.strip("[]").lower()
    names = set(LOOPBACK_NAMES)
    if bind not in WILDCARD_BINDS:
        names.add(bind)
    names.update(n for n in (host_name(name) for name in configured) if n)
    return frozenset(names)


@dataclass
class LoginThrottle:
    """Failed sign-ins per client address: after `max_failures` within `window` seconds, that
    address may not try again for `lockout` seconds; a successful sign-in clears its record.

    Behind a reverse proxy every client has the proxy's address, and so shares one record.
    Runs on the server's event loop only (no lock). `clock` is injectable for tests.
    """

    max_failures: int = 5
    window: float = 60.0
    lockout: float = 300.0
    clock: Callable[[], float] = time.monotonic
    keep: int = 4096  # addresses remembered at most; the stalest are forgotten first
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try to sign in again; 0 when it may now."""
        until = self._locked_until.get(client)
        if until is None:
            return 0.0
        left = until - self.clock()
        if left <= 0:
            del self._locked_until[client]
            return 0.0
        return left

    def failed(self, client: str) -> None:
        """Record a failed sign-in; the one that makes `max_failures` in a window locks out."""
        now = self.clock()
        times = self._failures.pop(client, deque())
        times.append(now)
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.max_failures:
            if len(self._locked_until) >= self.keep:
                self._locked_until = {c: t for c, t in self._locked_until.items() if t > now}
            self._locked_until[client] = now + self.lockout
            times.clear()
        else:
            self._failures[client] = times  # re-inserted: the dict stays oldest-first
        while len(self._failures) > self.keep:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, client: str) -> None:
        """Forget `client`'s failures: it has signed in."""
        self._failures.pop(client, None)


class RequestGuard:
    """The ASGI middleware (see the module docstring); every refusal is one line of text."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: frozenset[str],
        max_body: int,
        max_upload_body: int,
        throttle: LoginThrottle,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.max_body = max_body
        self.max_upload_body = max_upload_body
        self.throttle = throttle
        self._bounded = RequestBodyLimitMiddleware(app, max_body_size=max_body)
        self._bounded_upload = RequestBodyLimitMiddleware(app, max_body_size=max_upload_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = None
        if host_name(headers.get("host")) not in self.hosts:
            refusal = HOST_REFUSED
        elif "origin" in headers and host_name(headers["origin"]) not in self.hosts:
            refusal = ORIGIN_REFUSED
        if refusal is not None:
            if scope["type"] == "websocket":
                await WebSocketClose(code=1008, reason=refusal)(scope, receive, send)
            else:
                await PlainTextResponse(refusal, status_code=403)(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        path = scope["path"].rstrip("/")
        upload = path.endswith(UPLOAD_ROUTE)
        limit = self.max_upload_body if upload else self.max_body
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            what = "upload" if upload else "request"
            message = (
                f"Too large: this {what} is {format_size(int(declared), round_up=True)}; "
                f"the limit is {format_size(limit)}"
            )
            await PlainTextResponse(message, status_code=413)(scope, receive, send)
            return
        bounded = self._bounded_upload if upload else self._bounded
        if path.endswith(LOGIN_ROUTE) and scope["method"] == "POST":
            await self._sign_in(bounded, scope, receive, send)
        elif upload:
            await self._upload(bounded, scope, receive, send)
        else:
            await bounded(scope, receive, send)

    async def _sign_in(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """A sign-in: refused while its address is locked out, else counted by its outcome."""
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.throttle.retry_after(client)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            message = (
                "Too many failed sign-ins from this address; "
                f"try again in {minutes} minute{'s' if minutes > 1 else ''}"
            )
            headers = {"Retry-After": str(int(wait) + 1)}
            await PlainTextResponse(message, status_code=429, headers=headers)(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await app(scope, receive, watch)
        if status == 200:
            self.throttle.succeeded(client)
        elif status in LOGIN_FAILED:
            self.throttle.failed(client)

    async def _upload(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """A file upload, whose nameless file parts get a 400 instead of Gradio's 500."""
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, watch)
        except TypeError:
            # Gradio's upload route raises TypeError for a "files" part that is not a file
            if started:
                raise
            log.warning("refused an upload with a file part that has no file name")
            await PlainTextResponse(NAMELESS_FILE, status_code=400)(scope, receive, send)


def guard_middleware(
    settings: Settings, bind_host: str, *, throttle: LoginThrottle | None = None
) -> list[Middleware]:
    """The guard as a middleware list for the app Gradio builds (launch's app_kwargs)."""
    return [
        Middleware(
            RequestGuard,
            hosts=allowed_host_names(bind_host, settings.allowed_hosts),
            max_body=settings.max_request_bytes,
            max_upload_body=settings.max_upload_bytes + REQUEST_SLACK_BYTES,
            throttle=throttle or LoginThrottle(),
        )
    ]
