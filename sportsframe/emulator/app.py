"""The emulator's HTTP side: routing, auth, faults, latency and the request log.

Every registry operation with a path is a route (its path template, matched case-insensitively
like the real service); the builder behind each one is in :mod:`.routes`. Unknown routes and
ids the league does not know answer 404; a week the service has nothing for yet answers an
empty list. Control endpoints live under ``/_emulator/`` and are neither authenticated nor
logged.
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sportsframe.emulator.payloads import Payloads
from sportsframe.emulator.routes import NOT_FOUND, Feeds, UnknownPathError, handlers
from sportsframe.emulator.world import World
from sportsframe.registry import ENDPOINTS

__all__ = [
    "BODY_FAULTS",
    "Emulator",
    "FaultRule",
    "Faults",
    "RequestLog",
    "RequestRecord",
    "UnknownPathError",
    "build_app",
]


#: Fault kinds that rewrite a 200 answer's body (status 200 all the same).
BODY_FAULTS: Final = (
    "malformed",  # truncated JSON
    "html",  # an HTML error page
    "empty",  # no body at all
    "wrong_types",  # every number of the payload's records turned into text
    "extra_fields",  # a field sportsframe does not know added to every record
    "missing_fields",  # every record's first field left out
)


@dataclass
class FaultRule:
    """A fault to inject: ``kind`` is ``status``, ``timeout``/``slow`` or one of
    :data:`BODY_FAULTS` (a 200 answer with a broken or drifted body).

    ``path`` is a case-insensitive glob over the request path; ``times`` how many requests it
    applies to (``None``: until cleared).
    """

    kind: str
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    path: str = "*"
    times: int | None = 1

    def __post_init__(self) -> None:
        if self.kind not in ("status", "timeout", "slow", *BODY_FAULTS):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.kind == "status" and self.status is None:
            raise ValueError("a status fault needs a status")


class Faults:
    """The ordered fault rules; thread-safe (tests add rules from their own thread)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        """Append a rule (rules are consumed in order)."""
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def take(self, path: str) -> FaultRule | None:
        """The first rule matching ``path``, counting one use of it."""
        with self._lock:
            for rule in self._rules:
                if fnmatch.fnmatch(path.lower(), rule.path.lower()):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    return rule
        return None


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator received."""

    path: str
    query: str
    status: int
    time: float
    fault: str | None = None


@dataclass
class RequestLog:
    """Every request received (control endpoints excluded), thread-safe."""

    records: list[RequestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: RequestRecord) -> None:
        with self.lock:
            self.records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.records)

    def clear(self) -> None:
        with self.lock:
            self.records.clear()


class Emulator:
    """The synthetic SportsDataIO service, without HTTP: ``Emulator().payload(path)``."""

    def __init__(self, now: datetime | None = None, seed: int = 2024) -> None:
        self.world = World(now=now, seed=seed)
        self.payloads = Payloads(self.world)
        self.feeds = Feeds(self.payloads)
        self._routes = self._build_routes()
        self._lock = threading.Lock()

    @property
    def now(self) -> datetime:
        return self.world.now

    def _build_routes(self) -> list[tuple[re.Pattern[str], Callable[..., Any]]]:
        table = handlers(self.feeds)
        routes = []
        for ep in ENDPOINTS.values():
            if ep.path is None:
                continue
            regex = re.sub(
                r"\\\{(\w+)\\\}",
                lambda m: f"(?P<{m.group(1).lower()}>[^/]+)",
                re.escape(ep.path),
            )
            routes.append((re.compile(f"^{regex}$", re.IGNORECASE), table[ep.name]))
        return routes

    def feed(self, path: str) -> str:
        """The feed of a request path (``scores``, ``stats``, ``odds``, ``pbp``)."""
        parts = path.strip("/").split("/")
        return parts[2].lower() if len(parts) > 2 else ""

    def payload(self, path: str) -> Any:
        """The payload for a request path; raises UnknownPathError for an unknown route or id."""
        for regex, handler in self._routes:
            match = regex.match(path)
            if match:
                key = path.lower()
                # Building a week is CPU work; one thread builds it, the others reuse it.
                with self._lock:
                    args = match.groupdict()
                    try:
                        return self.payloads.memo((key,), functools.partial(handler, **args))
                    except NOT_FOUND as error:
                        raise UnknownPathError(path) from error
        raise UnknownPathError(path)

    def body(self, path: str) -> bytes:
        """The JSON bytes for a request path (memoised)."""
        with self._lock:
            cached = self.payloads._memo.get(("body", path.lower()))
        if cached is not None:
            return bytes(cached)
        data = orjson.dumps(self.payload(path))
        with self._lock:
            self.payloads._memo[("body", path.lower())] = data
        return data


def _error(status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    body = {
        "HttpStatusCode": status,
        "Code": status,
        "Description": description,
        "Help": "https://sportsdata.io/developers",
    }
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


def _media(kind: str) -> str:
    return "text/html" if kind == "html" else "application/json"


def _records(payload: Any) -> list[dict[str, Any]]:
    """The objects of a payload: the list's items, or the object itself."""
    items = payload if isinstance(payload, list) else [payload]
    return [item for item in items if isinstance(item, dict)]


def _broken_body(kind: str, body: bytes) -> bytes:
    """``body`` (the right answer) broken as the fault ``kind`` says."""
    if kind == "malformed":
        cut = body[: len(body) // 2]
        try:
            orjson.loads(cut)
        except orjson.JSONDecodeError:
            return cut
        return b'{"truncated": [1, 2'  # half of "2024" is still JSON
    if kind == "html":
        return b"<html><head><title>Error</title></head><body>Service error</body></html>"
    if kind == "empty":
        return b""
    payload = orjson.loads(body)
    for record in _records(payload):
        if kind == "wrong_types":
            for name, value in record.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    record[name] = f"#{value}"
        elif kind == "extra_fields":
            record["EmulatorUnexpectedField"] = {"nested": [1, "two"]}
        elif record:  # missing_fields
            del record[next(iter(record))]
    return orjson.dumps(payload)


def build_app(
    emulator: Emulator,
    *,
    key: str | None = None,
    latency: list[float] | None = None,
    deny_feeds: set[str] | None = None,
    faults: Faults | None = None,
    log: RequestLog | None = None,
) -> Starlette:
    """The ASGI app serving ``emulator``. ``latency`` is a mutable [lo, hi] pair (seconds)."""
    latency = latency if latency is not None else [0.0, 0.0]
    deny = {f.lower() for f in (deny_feeds or set())}
    faults = faults or Faults()
    log = log or RequestLog()

    async def control(request: Request) -> Response:
        what = request.path_params["what"]
        if what == "requests":
            if request.method == "DELETE":
                log.clear()
                return Response(status_code=204)
            return Response(
                orjson.dumps([asdict(r) for r in log.snapshot()]), media_type="application/json"
            )
        if what == "faults":
            if request.method == "DELETE":
                faults.clear()
                return Response(status_code=204)
            rule = FaultRule(**orjson.loads(await request.body()))
            faults.add(rule)
            return Response(status_code=201)
        if what == "latency" and request.method == "POST":
            lo, hi = orjson.loads(await request.body())
            latency[:] = [float(lo), float(hi)]
            return Response(status_code=204)
        return _error(404, "unknown control endpoint")

    async def api(request: Request) -> Response:
        arrived = time.time()
        path = request.url.path
        query = "&".join(
            f"{k}={'***' if k.lower() == 'key' else v}" for k, v in request.query_params.items()
        )
        fault: FaultRule | None = None
        response = await _answer(request, path)
        if response.status_code == 200:
            fault = faults.take(path)
            if fault is not None:
                response = await _apply(fault, response)
        log.add(
            RequestRecord(path, query, response.status_code, arrived, fault.kind if fault else None)
        )
        return response

    async def _answer(request: Request, path: str) -> Response:
        given = request.headers.get("ocp-apim-subscription-key") or request.query_params.get("key")
        if not given or (key is not None and given != key):
            return _error(401, "Access denied due to invalid subscription key.")
        if emulator.feed(path) in deny:
            return _error(403, "This subscription does not include this feed.")
        lo, hi = latency
        if hi > 0:
            await asyncio.sleep(random.uniform(lo, hi))
        try:
            body = await asyncio.to_thread(emulator.body, path)
        except UnknownPathError:
            return _error(404, "Not found.")
        return Response(body, 200, media_type="application/json")

    async def _apply(rule: FaultRule, ok: Response) -> Response:
        if rule.kind == "status":
            headers = {}
            if rule.retry_after is not None:
                headers["Retry-After"] = f"{rule.retry_after:g}"
            return _error(int(rule.status or 500), "Injected fault.", headers)
        if rule.kind in ("timeout", "slow"):
            await asyncio.sleep(rule.delay)
            return ok
        return Response(_broken_body(rule.kind, bytes(ok.body)), 200, media_type=_media(rule.kind))

    return Starlette(
        routes=[
            Route("/_emulator/{what}", control, methods=["GET", "POST", "DELETE"]),
            Route("/{path:path}", api, methods=["GET"]),
        ]
    )
