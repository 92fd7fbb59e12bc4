"""``sportsframe emulator``: serve the emulator on a port until interrupted."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import UTC, datetime
from typing import Any

from sportsframe.emulator.app import FaultRule
from sportsframe.emulator.server import start_emulator

__all__ = ["add_parser", "main"]


def _latency(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition("-")
    return float(lo), float(hi or lo)


def _now(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _fault(text: str) -> FaultRule:
    # status:503[:times] | status:429:retry_after | slow:2.0 | timeout:30 | malformed
    kind, *rest = text.split(":")
    if kind == "status":
        status = int(rest[0])
        if status == 429:
            return FaultRule(
                "status", status=429, retry_after=float(rest[1]) if len(rest) > 1 else 1, times=None
            )
        return FaultRule("status", status=status, times=int(rest[1]) if len(rest) > 1 else None)
    if kind in ("slow", "timeout"):
        return FaultRule(kind, delay=float(rest[0]) if rest else 30.0, times=None)
    return FaultRule(kind, times=None)


def serve(args: argparse.Namespace) -> int:
    """Run until Ctrl-C or SIGTERM."""
    server = start_emulator(
        host=args.host,
        port=args.port,
        key=args.key,
        latency=args.latency,
        now=args.now,
        deny_feeds=args.deny_feed or (),
    )
    for fault in args.fault or ():
        server.faults.add(fault)
    print(f"SportsDataIO emulator serving at {server.base_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``emulator`` subcommand to an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator", help="serve the local SportsDataIO emulator"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--key", help="accept only this API key (default: any non-empty key)")
    parser.add_argument(
        "--latency", type=_latency, default=(0.0, 0.0), help="seconds, e.g. 0.2-0.5 (default 0)"
    )
    parser.add_argument("--now", type=_now, default=None, help="the emulator's clock (ISO)")
    parser.add_argument("--deny-feed", action="append", help="answer 403 for this feed")
    parser.add_argument(
        "--fault",
        action="append",
        type=_fault,
        help="status:503, status:429:2, slow:2.5, timeout:30 or malformed",
    )
    parser.set_defaults(func=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m sportsframe.emulator``."""
    parser = argparse.ArgumentParser(prog="sportsframe-emulator")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    args = parser.parse_args(["emulator", *(argv or [])] if argv is not None else None)
    if args.command is None:
        args = parser.parse_args(["emulator"])
    return int(args.func(args))
