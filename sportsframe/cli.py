"""The ``sportsframe`` command: demo, warm, stats, report, cleanup, invalidate, emulator."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

DEMO_DATASETS = ("props", "injuries", "odds", "player_game_stats")


def _weeks(text: str) -> list[int]:
    """``"17"``, ``"1-4"`` or ``"1,3,5"`` as a list of weeks."""
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    return out


def _session(args: argparse.Namespace) -> Any:
    from sportsframe.session import Session

    overrides: dict[str, Any] = {}
    if getattr(args, "emulator", False):
        overrides["source"] = "emulator"
    if getattr(args, "offline", False):
        overrides["offline"] = True
    return Session(**overrides)


# -- demo ---------------------------------------------------------------------------------------
def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _median_timed(fn: Any, *args: Any, before: Any = None, repeats: int = 5) -> tuple[float, Any]:
    """Median seconds of ``repeats`` calls (``before`` runs untimed ahead of each): one sample
    of a sub-millisecond read is mostly noise and first-connection cost."""
    samples, result = [], None
    for _ in range(repeats):
        if before is not None:
            before()
        seconds, result = _timed(fn, *args)
        samples.append(seconds)
    return statistics.median(samples), result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms" if seconds >= 0.001 else f"{seconds * 1e6:9.1f} µs"


def cmd_demo(args: argparse.Namespace) -> int:
    """A modeller's session against the local emulator: each dataset cold, then from each tier."""
    from sportsframe.session import Session

    latency = (0.0, 0.0) if args.no_latency else (0.2, 0.5)
    season, week = args.season, args.week
    print("sportsframe demo — local SportsDataIO emulator (synthetic data, realistic latency)")
    with Session(source="emulator", emulator_latency=latency) as session:
        hot_tier, warm_tier = session.describe_tiers()
        print(f"hot tier: {hot_tier}\nwarm tier: {warm_tier}")
        print(
            f"cold calls are paced at {session.settings.rate_limit:g} requests/s, as the API is\n"
        )
        rows = []
        for name in DEMO_DATASETS:
            call = getattr(session, name)
            session.clear_cache(name, season=season, week=week)
            cold, frame = _timed(call, season, week)
            l0, _ = _median_timed(call, season, week)
            hot, hot_frame = _median_timed(call, season, week, before=session.aio.l0.clear)

            def flush_redis(key: str = frame.attrs["key"]) -> None:
                session.aio.l0.clear()
                session.drop_hot(key)

            warm, warm_frame = _median_timed(call, season, week, before=flush_redis)
            rows.append(
                (
                    name,
                    len(frame),
                    cold,
                    warm,
                    hot,
                    l0,
                    (
                        frame.attrs["served_from"],
                        warm_frame.attrs["served_from"],
                        hot_frame.attrs["served_from"],
                    ),
                )
            )
        header = f"{'dataset':<18}{'rows':>7}{'cold (API)':>14}{'warm':>14}{'hot':>14}{'L0':>14}"
        print(header + f"{'hot speed-up':>15}")
        print("-" * (len(header) + 15))
        for name, n, cold, warm, hot, l0, _tiers in rows:
            print(
                f"{name:<18}{n:>7}{_ms(cold):>14}{_ms(warm):>14}{_ms(hot):>14}{_ms(l0):>14}"
                f"{cold / hot:>14.0f}x"
            )
        stats = session.cache_stats()
        overall = stats["overall"]
        print(
            f"\nhit rate {overall['hit_rate']:.1%}  ({overall['hits']} hits, "
            f"{overall['misses']} misses, {overall['api_calls_avoided']} API calls avoided)"
        )
        median_speedup = statistics.median(r[2] / r[4] for r in rows)
        print(f"median hot-tier speed-up over the API: {median_speedup:.0f}x")
    return 0


# -- the other commands -------------------------------------------------------------------
def cmd_warm(args: argparse.Namespace) -> int:
    with _session(args) as session:
        if args.current:
            result: Any = session.warm_current(progress=True)
        elif args.upcoming is not None:
            result = session.warm_upcoming(args.upcoming, progress=True)
        else:
            if args.season is None:
                print(
                    "warm: give --season (and --weeks), --current or --upcoming HOURS",
                    file=sys.stderr,
                )
                return 2
            weeks = _weeks(args.weeks) if args.weeks else None
            datasets = tuple(args.datasets.split(",")) if args.datasets else None
            kwargs = {"datasets": datasets} if datasets else {}
            result = session.warm(args.season, weeks, progress=True, **kwargs)
        print(json.dumps(result, indent=2, default=str))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _session(args) as session:
        print(json.dumps(session.cache_stats(), indent=2, default=str))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    with _session(args) as session:
        rows = session.efficiency()
    print(f"{'data_type':<20}{'entries':>9}{'avg hits':>10}  last access")
    for row in rows:
        print(
            f"{row['data_type']:<20}{row['entries']:>9}{row['avg_hits']:>10.1f}  "
            f"{row['last_access'] or '-'}"
        )
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    with _session(args) as session:
        print(f"removed {session.cleanup()} expired entries")
    return 0


def cmd_invalidate(args: argparse.Namespace) -> int:
    with _session(args) as session:
        removed = session.clear_cache(
            args.dataset,
            season=args.season,
            week=args.week,
            team=args.team,
            player_id=args.player_id,
        )
    print(f"removed {removed} entries")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sportsframe`` command."""
    parser = argparse.ArgumentParser(prog="sportsframe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a modeller's session against the local emulator")
    demo.add_argument("--season", type=int, default=2024)
    demo.add_argument("--week", type=int, default=18)
    demo.add_argument("--no-latency", action="store_true", help="emulator answers at once")
    demo.set_defaults(func=cmd_demo)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--emulator", action="store_true", help="use demo data (emulator)")
    common.add_argument("--offline", action="store_true", help="never call the API")

    warm = sub.add_parser("warm", parents=[common], help="pre-cache datasets")
    warm.add_argument("--season", type=int)
    warm.add_argument("--weeks", help="e.g. 17, 1-4 or 1,3,5 (default: every week so far)")
    warm.add_argument("--datasets", help="comma-separated dataset names")
    warm.add_argument("--current", action="store_true", help="teams, schedule, current week")
    warm.add_argument(
        "--upcoming",
        type=float,
        metavar="HOURS",
        help="props and injuries of games kicking off within HOURS",
    )
    warm.set_defaults(func=cmd_warm)

    for name, func, text in (
        ("stats", cmd_stats, "print cache statistics"),
        ("report", cmd_report, "print the cache efficiency report"),
        ("cleanup", cmd_cleanup, "delete entries expired past the grace window"),
    ):
        sub.add_parser(name, parents=[common], help=text).set_defaults(func=func)

    inv = sub.add_parser("invalidate", parents=[common], help="remove cached entries")
    inv.add_argument("dataset", nargs="?")
    inv.add_argument("--season", type=int)
    inv.add_argument("--week", type=int)
    inv.add_argument("--team")
    inv.add_argument("--player-id", type=int)
    inv.set_defaults(func=cmd_invalidate)

    from sportsframe.emulator import add_parser as add_emulator_parser

    add_emulator_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sportsframe`` console script."""
    from sportsframe.errors import SportsFrameError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SportsFrameError as exc:
        print(f"sportsframe: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
