"""Peers benchmark: the same props payloads cached the ways a user would otherwise choose.

A local HTTP server (loopback, keep-alive) serves the JSON of three props payloads: the
Super Bowl's (about 150 rows), week 18's (about 2,300) and weeks 10-18 together (about 20,000).
Each peer fetches it with its own client, caches at its own layer, and ends in the DataFrame
sportsframe builds from the same JSON (checked equal, values and dtypes):

* JSON in Redis with orjson (the cache spec's design): GET, ``orjson.loads``, build the frame;
* requests-cache on Redis and on SQLite, hishel on SQLite: a cached HTTP response, then
  ``orjson.loads`` and the frame;
* diskcache ``memoize`` and ``joblib.Memory``: the finished frame, pickled by the library;
* a parquet file: ``read_parquet`` of the frame written on the miss;
* cashews on Redis: the finished frame, pickled, behind its async decorator.

Beside them, sportsframe's own hits of the same weeks (``sf.props``): L0, Redis (L0 off), and
the warm tier (Redis emptied of the week before each call; the copy back is not timed).

Hits are measured interleaved (every round calls each peer once, in an order shuffled each
round) after a warm-up; p50 and p95 are printed with the ratio to sportsframe's L0 hit. A miss is
a call for a URL (or key) not seen before; its overhead is its time minus the bare fetch (GET +
orjson + frame build) measured interleaved with it. sportsframe's own miss, a week of 16 API
requests, is measured by ``benchmarks/miss.py``.

Run: ``python benchmarks/peers.py [--rounds 200] [--quick] [--redis-url URL]
[--database-url URL|none]``. Writes ``benchmarks/results/peers.json``. A peer that cannot run
here (not installed, no server) is skipped with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from _common import (
    describe_machine,
    drop_namespace,
    emulator_session,
    machine,
    new_namespace,
    own_database,
    pct,
    reachable,
    redis_server_version,
    service_options,
    side_by_side_samples,
    table,
    versions,
    write_results,
)

from sportsframe import frames

NOW = datetime(2025, 3, 1, tzinfo=UTC)  # after the 2024 season: every week complete
SIZES: dict[str, tuple[int, list[int], str]] = {
    # name: (season, weeks, season type)
    "~150 rows": (2024, [4], "POST"),
    "~2,000 rows": (2024, [18], "REG"),
    "~20,000 rows": (2024, list(range(10, 19)), "REG"),
}
PEER_PACKAGES = ("requests-cache", "hishel", "diskcache", "joblib", "cashews")


# -- the payload server ---------------------------------------------------------------------------
class PayloadServer:
    """Serves ``bodies[name]`` at ``/props/<name>`` (any query string), HTTP/1.1 keep-alive."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                name = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
                body = bodies.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def build(body: bytes) -> pd.DataFrame:
    return frames.build_frame_from_payload("player_props", orjson.loads(body))


# -- the peers ------------------------------------------------------------------------------------
class Peer:
    """A way to cache: ``get(url)`` returns the frame, fetching and storing on a miss."""

    name = ""

    def get(self, url: str) -> pd.DataFrame:
        raise NotImplementedError

    def close(self) -> None:
        pass


class JsonRedis(Peer):
    name = "JSON in Redis + orjson (spec)"

    def __init__(self, redis_url: str, ns: str, http: Any) -> None:
        import redis

        self.r = redis.Redis.from_url(redis_url)
        self.ns, self.http = ns, http

    def get(self, url: str) -> pd.DataFrame:
        key = f"{self.ns}:json:{url}"
        body = self.r.get(key)
        if body is None:
            body = self.http.get(url).content
            self.r.set(key, body, ex=3600)
        return build(body)

    def close(self) -> None:
        self.r.close()


class RequestsCache(Peer):
    def __init__(self, backend: str, redis_url: str, ns: str, home: Path) -> None:
        import requests_cache

        if backend == "redis":
            import redis
            from requests_cache.backends.redis import RedisCache

            self.name = "requests-cache (Redis)"
            store: Any = RedisCache(
                namespace=f"{ns}-rc", connection=redis.Redis.from_url(redis_url)
            )
        else:
            self.name = "requests-cache (SQLite)"
            store = requests_cache.SQLiteCache(str(home / "requests-cache.sqlite"))
        self.session = requests_cache.CachedSession(backend=store, expire_after=3600)

    def get(self, url: str) -> pd.DataFrame:
        return build(self.session.get(url).content)

    def close(self) -> None:
        self.session.close()


class Hishel(Peer):
    name = "hishel (SQLite)"

    def __init__(self, home: Path) -> None:
        import hishel
        import hishel.httpx

        storage = hishel.SqliteStorage(database_path=str(home / "hishel.sqlite"))
        self.client = hishel.httpx.CacheClient(storage=storage)

    def get(self, url: str) -> pd.DataFrame:
        return build(self.client.get(url).content)

    def close(self) -> None:
        self.client.close()


class DiskcacheMemoize(Peer):
    name = "diskcache memoize"

    def __init__(self, home: Path, http: Any) -> None:
        import diskcache

        self.cache = diskcache.Cache(str(home / "diskcache"))

        @self.cache.memoize(expire=3600)
        def load(url: str) -> pd.DataFrame:
            return build(http.get(url).content)

        self.load = load

    def get(self, url: str) -> pd.DataFrame:
        return self.load(url)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.cache.close()


class JoblibMemory(Peer):
    name = "joblib.Memory"

    def __init__(self, home: Path, http: Any) -> None:
        import joblib

        memory = joblib.Memory(str(home / "joblib"), verbose=0)

        def load(url: str) -> pd.DataFrame:
            return build(http.get(url).content)

        self.load = memory.cache(load)

    def get(self, url: str) -> pd.DataFrame:
        return self.load(url)  # type: ignore[no-any-return]


class ParquetFile(Peer):
    name = "parquet file"

    def __init__(self, home: Path, http: Any) -> None:
        self.dir, self.http = home / "parquet", http
        self.dir.mkdir()

    def get(self, url: str) -> pd.DataFrame:
        path = self.dir / (url.rsplit("/", 1)[-1].replace("?", "_").replace("=", "_") + ".parquet")
        if path.exists():
            return pd.read_parquet(path)
        frame = build(self.http.get(url).content)
        frame.to_parquet(path)
        return frame


class Cashews(Peer):
    name = "cashews (Redis)"

    def __init__(self, redis_url: str, ns: str, http: Any) -> None:
        from cashews import Cache

        self.cache = Cache()
        self.cache.setup(redis_url, client_side=False)
        self.loop = asyncio.new_event_loop()

        @self.cache(ttl="1h", key=f"{ns}:cashews:{{url}}")
        async def load(url: str) -> pd.DataFrame:
            return build(http.get(url).content)

        self.load = load

    def get(self, url: str) -> pd.DataFrame:
        return self.loop.run_until_complete(self.load(url))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.cache.close())
        self.loop.close()


def make_peers(
    redis_url: str, ns: str, home: Path, http: Any, have_redis: bool
) -> tuple[list[Peer], dict[str, str]]:
    """Every peer that can run here, and the reason for each that cannot."""
    makers: list[tuple[str, bool, Callable[[], Peer]]] = [
        ("JSON in Redis + orjson (spec)", True, lambda: JsonRedis(redis_url, ns, http)),
        ("requests-cache (Redis)", True, lambda: RequestsCache("redis", redis_url, ns, home)),
        ("requests-cache (SQLite)", False, lambda: RequestsCache("sqlite", redis_url, ns, home)),
        ("hishel (SQLite)", False, lambda: Hishel(home)),
        ("diskcache memoize", False, lambda: DiskcacheMemoize(home, http)),
        ("joblib.Memory", False, lambda: JoblibMemory(home, http)),
        ("parquet file", False, lambda: ParquetFile(home, http)),
        ("cashews (Redis)", True, lambda: Cashews(redis_url, ns, http)),
    ]
    peers, skipped = [], {}
    for name, needs_redis, make in makers:
        if needs_redis and not have_redis:
            skipped[name] = f"Redis is not reachable at {redis_url}"
            continue
        try:
            peers.append(make())
        except ImportError as exc:
            skipped[name] = f"not installed ({exc.name}); pip install -e '.[benchmark]'"
    return peers, skipped


def same(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """'equal' (values and dtypes), 'values' (equal values, other dtypes) or 'DIFFERS', the
    call's own columns aside."""
    # The JSON does not carry the call's season, season type and week: sportsframe fills those
    # columns from the call, a peer that caches the JSON cannot. They are left out.
    call_columns = [c for c in ("season", "season_type", "week") if c in a.columns]
    a = a.drop(columns=call_columns).reset_index(drop=True)
    b = b.drop(columns=call_columns, errors="ignore").reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(a, b, check_flags=False)
        return "equal"
    except AssertionError:
        pass
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)
        return "values"
    except AssertionError:
        return "DIFFERS"


# -- sportsframe ----------------------------------------------------------------------------------
@contextlib.contextmanager
def sportsframe_sessions(
    base_url: str, ns: str, redis_url: str, database_url: str | None, home: Path
) -> Iterator[tuple[Any, Any]]:
    common: dict[str, Any] = dict(
        base_url=base_url, ns=ns, redis_url=redis_url, database_url=database_url, home=home
    )
    with (
        emulator_session(**common, l0_max_bytes=1 << 30) as with_l0,
        emulator_session(**common, l0_max_bytes=0) as no_l0,
    ):
        yield with_l0, no_l0


def payload_of(session: Any, season: int, weeks: list[int], season_type: str) -> tuple[bytes, Any]:
    """The JSON body the API gives for these weeks (from the entries sportsframe stored), and
    sportsframe's frame of them."""
    import redis

    from sportsframe.cache import codec

    frame = session.props(season, weeks, season_type=season_type, progress=False)
    session.settle()  # the entries are written behind the answer
    keys = (
        [p["key"] for p in frame.attrs["parts"]] if "parts" in frame.attrs else [frame.attrs["key"]]
    )
    r = redis.Redis.from_url(session.settings.redis_url)
    payload: list[Any] = []
    for key in keys:
        value = r.get(f"{session.settings.namespace}:{key}")
        assert value is not None, f"{key} is not in Redis"
        payload.extend(codec.table_to_payload(codec.decode(value)))
    r.close()
    return orjson.dumps(payload), frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="hit rounds (~2,000 rows)")
    parser.add_argument("--misses", type=int, default=20, help="miss samples per peer")
    service_options(parser)
    parser.add_argument("--quick", action="store_true", help="a smoke test: ~2,000 rows only")
    args = parser.parse_args(argv)
    sizes = dict(SIZES)
    if args.quick:
        args.rounds, args.misses = 5, 2
        sizes = {"~2,000 rows": SIZES["~2,000 rows"]}
    have_redis = reachable(args.redis_url)
    if not have_redis:
        print(f"skipped: Redis is not reachable at {args.redis_url} (sportsframe's tiers need it)")
        return 0
    import httpx

    from sportsframe.emulator import start_emulator

    ns = new_namespace()
    home = Path(tempfile.mkdtemp(prefix="sfbench-"))
    emulator = start_emulator(now=NOW)
    server: PayloadServer | None = None
    peers: list[Peer] = []
    http = httpx.Client(timeout=30)
    results: dict[str, Any] = {}
    counter = itertools.count()
    try:
        with (
            own_database(None if args.database_url == "none" else args.database_url) as db,
            sportsframe_sessions(emulator.base_url, ns, args.redis_url, db, home) as (sf, sf0),
        ):
            bodies, sf_frames = {}, {}
            for label, (season, weeks, stype) in sizes.items():
                body, frame = payload_of(sf, season, weeks, stype)
                bodies[label.strip("~").replace(",", "").replace(" ", "-")] = body
                sf_frames[label] = frame
            sf.settle()
            server = PayloadServer(bodies)
            peers, skipped = make_peers(args.redis_url, ns, home, http, have_redis)
            for name, reason in skipped.items():
                print(f"skipped peer {name}: {reason}")
            for label, (season, weeks, stype) in sizes.items():
                slug = label.strip("~").replace(",", "").replace(" ", "-")
                url = f"{server.base_url}/props/{slug}"
                body = bodies[slug]
                reference = build(body)
                rounds = max(3, args.rounds * 2000 // max(len(reference), 2000))
                if len(reference) < 1000:
                    rounds = args.rounds
                results[label] = measure_size(
                    label, url, body, reference, peers, sf, sf0, (season, weeks, stype),
                    rounds, max(2, args.misses if len(reference) < 10000 else args.misses // 4),
                    http, counter,
                )  # fmt: skip
            warm_desc = sf.describe_tiers()[1]
    finally:
        for peer in peers:
            with contextlib.suppress(Exception):
                peer.close()
        http.close()
        if server is not None:
            server.stop()
        emulator.stop()
        drop_namespace(args.redis_url, ns)
        shutil.rmtree(home, ignore_errors=True)
    report = {
        "sizes": results,
        "skipped": skipped,
        "warm_tier": "PostgreSQL" if warm_desc.startswith("PostgreSQL") else "SQLite",
        "versions": {
            **versions("pandas", "pyarrow", "redis", "orjson", "httpx", "requests", *PEER_PACKAGES),
            "redis_server": redis_server_version(args.redis_url),
        },
        "targets": {"l0_over_fastest_peer_min": 3.0},
    }
    _print(report)
    out = write_results("peers", report)
    print(f"results written to benchmarks/results/{out.name}")
    return 0


def measure_size(
    label: str,
    url: str,
    body: bytes,
    reference: pd.DataFrame,
    peers: list[Peer],
    sf: Any,
    sf0: Any,
    call: tuple[int, list[int], str],
    rounds: int,
    misses: int,
    http: Any,
    counter: Iterator[int],
) -> dict[str, Any]:
    season, weeks, stype = call
    week_arg: Any = weeks[0] if len(weeks) == 1 else weeks
    keys = None

    def sf_l0() -> pd.DataFrame:
        return sf.props(season, week_arg, season_type=stype)

    def sf_hot() -> pd.DataFrame:
        return sf0.props(season, week_arg, season_type=stype)

    first = sf_l0()
    keys = (
        [p["key"] for p in first.attrs["parts"]] if "parts" in first.attrs else [first.attrs["key"]]
    )
    equal = {"sportsframe": same(first, reference)}
    fns: dict[str, Callable[[], Any]] = {"sportsframe L0": sf_l0, "sportsframe Redis": sf_hot}
    for peer in peers:
        equal[peer.name] = same(peer.get(url), reference)  # the miss that fills it
        fns[peer.name] = lambda peer=peer: peer.get(url)  # type: ignore[misc]
    hits = side_by_side_samples(fns, rounds)
    # The warm tier: Redis emptied of the week before each call (not timed), copy back after.
    warm: list[float] = []
    for _ in range(max(3, rounds // 4)):
        for key in keys:
            sf0.drop_hot(key)
        start = time.perf_counter()
        frame = sf_hot()
        warm.append(time.perf_counter() - start)
        sf0.settle()
    hits["sportsframe warm"] = warm
    served = frame.attrs.get("served_from")
    # Misses: a URL never seen (a new query string), beside the bare fetch, interleaved.
    miss: dict[str, list[float]] = {"bare fetch (GET + orjson + frame)": []}
    for peer in peers:
        miss[peer.name] = []
    for _ in range(misses):
        for name in miss:
            fresh = f"{url}?n={next(counter)}"
            start = time.perf_counter()
            if name.startswith("bare"):
                build(http.get(fresh).content)
            else:
                next(p for p in peers if p.name == name).get(fresh)
            miss[name].append(time.perf_counter() - start)
    return {
        "rows": len(reference),
        "json_bytes": len(body),
        "equal": equal,
        "warm_served_from": served,
        "hit_seconds": {k: _stats(v) for k, v in hits.items()},
        "miss_seconds": {k: _stats(v) for k, v in miss.items()},
    }


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": pct(values, 0.5), "p95": pct(values, 0.95), "n": len(values)}


def _print(report: dict[str, Any]) -> None:
    print(f"machine: {describe_machine(machine())}; warm tier {report['warm_tier']}")
    for label, r in report["sizes"].items():
        hits = r["hit_seconds"]
        l0 = hits["sportsframe L0"]["p50"]
        peer_names = [n for n in hits if not n.startswith("sportsframe")]
        fastest = min(peer_names, key=lambda n: hits[n]["p50"]) if peer_names else None
        print(f"\n{label}: {r['rows']:,} rows, JSON {r['json_bytes']:,} bytes")
        rows = []
        for name, s in sorted(hits.items(), key=lambda kv: kv[1]["p50"]):
            m = r["miss_seconds"].get(name)
            bare = r["miss_seconds"]["bare fetch (GET + orjson + frame)"]["p50"]
            rows.append(
                [
                    name,
                    s["p50"] * 1e3,
                    s["p95"] * 1e3,
                    f"{s['p50'] / l0:.1f}x",
                    f"{m['p50'] * 1e3:.2f}" if m else "",
                    f"{(m['p50'] - bare) * 1e3:+.2f}" if m else "",
                    r["equal"].get(name, r["equal"].get("sportsframe", "")),
                ]
            )
        bare = r["miss_seconds"]["bare fetch (GET + orjson + frame)"]
        rows.append(
            ["bare fetch (GET + orjson + frame)", "", "", "", f"{bare['p50'] * 1e3:.2f}", "", ""]
        )
        headers = ["cache", "hit p50 ms", "hit p95 ms", "x L0", "miss p50 ms", "miss - bare ms"]
        print(table([*headers, "frame"], rows))
        if fastest:
            ratio = hits[fastest]["p50"] / l0
            print(f"L0 vs the fastest peer ({fastest}): {ratio:.1f}x faster (target >= 3x)")
    for name, reason in report["skipped"].items():
        print(f"skipped: {name}: {reason}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))


if __name__ == "__main__":
    sys.exit(main())
