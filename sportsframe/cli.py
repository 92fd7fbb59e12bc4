"""The ``sportsframe`` command: demo, warm, stats, report, cleanup, invalidate, emulator.

Bad arguments exit with status 2 and one line naming the argument and what it takes; a
sportsframe error (no API key, a cache tier down, the quota spent) exits with status 1 and one
line. ``--debug`` adds the traceback and debug logging.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

__all__ = ["main"]

DEMO_DATASETS = ("props", "injuries", "odds", "player_game_stats")
#: What ``--weeks`` takes, for its help and its error.
WEEKS_HELP = "e.g. 17, 1-4 or 1,3,5; weeks run from 0 to 18 (PRE 0-4, REG 1-18, POST 1-4)"


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error: ``sportsframe warm: error: argument --weeks: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _whole(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def _registry_argument(name: str, what: str) -> Callable[[str], Any]:
    """An argparse type that checks ``name`` as the dataset functions do (before any I/O)."""
    from sportsframe.errors import InvalidParameterError
    from sportsframe.registry import validate_argument

    def convert(text: str) -> Any:
        value: Any = text if name == "team" else _whole(text, what)
        try:
            return validate_argument(name, value)
        except InvalidParameterError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc.reason}") from None

    convert.__name__ = name  # argparse names the type in some messages
    return convert


def _season(text: str) -> int:
    from sportsframe.registry import FIRST_SEASON, latest_season

    checked: int = _registry_argument(
        "season", f"a season: give a year from {FIRST_SEASON} to {latest_season()}"
    )(text)
    return checked


def _weeks(text: str) -> list[int]:
    """``"17"``, ``"1-4"`` or ``"1,3,5"`` as a list of weeks."""
    week = _registry_argument("week", f"a list of weeks: {WEEKS_HELP}")
    out: list[int] = []
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        if not dash:
            out.append(week(lo))
            continue
        first, last = week(lo), week(hi)
        if first > last:
            raise argparse.ArgumentTypeError(f"{part!r} runs backwards ({WEEKS_HELP})")
        out.extend(range(first, last + 1))
    return out


def _datasets(text: str) -> tuple[str, ...]:
    from sportsframe.registry.datasets import DATASETS

    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in DATASETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown dataset {', '.join(map(repr, unknown)) or repr(text)}; "
            f"known: {', '.join(sorted(DATASETS))}"
        )
    return names


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = -1.0
    if not 0 < hours < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of hours")
    return hours


def _session(args: argparse.Namespace) -> Any:
    from sportsframe.facade.sync import Session

    # A command makes its calls at once: opening the tiers early gains it nothing, and a tier
    # that is down would be reported twice (the early opening's warning, then the command's).
    overrides: dict[str, Any] = {"open_early": False}
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


def _median_timed(
    fn: Any, *args: Any, before: Any = None, repeats: int = 5
) -> tuple[float, set[str]]:
    """Median seconds of ``repeats`` calls (``before`` runs untimed ahead of each): one sample
    of a sub-millisecond read is mostly noise and first-connection cost. Also the tiers that
    served the calls (``served_from`` of each frame)."""
    samples, tiers = [], set()
    for _ in range(repeats):
        if before is not None:
            before()
        seconds, frame = _timed(fn, *args)
        samples.append(seconds)
        tiers.add(frame.attrs["served_from"])
    return statistics.median(samples), tiers


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms" if seconds >= 0.001 else f"{seconds * 1e6:9.1f} µs"


def cmd_demo(args: argparse.Namespace) -> int:
    """A modeller's session against the local emulator: each dataset cold, then from each tier."""
    from sportsframe.facade.sync import Session

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
        notes: list[str] = []
        for name in DEMO_DATASETS:
            call = getattr(session, name)
            session.clear_cache(name, season=season, week=week)
            cold, frame = _timed(call, season, week)
            # The miss answered before its writes landed: the tiers are timed once they hold it
            # (until then a read is answered from those pending writes, the frame rebuilt).
            session.settle()
            l0, l0_tiers = _median_timed(call, season, week)
            hot, hot_tiers = _median_timed(call, season, week, before=session.aio.l0.clear)

            def flush_redis(key: str = frame.attrs["key"]) -> None:
                session.aio.l0.clear()
                session.drop_hot(key)

            warm, warm_tiers = _median_timed(call, season, week, before=flush_redis)
            rows.append((name, len(frame), cold, warm, hot, l0))
            served = (
                ("cold (API)", "api", {frame.attrs["served_from"]}),
                ("warm", "warm", warm_tiers),
                ("hot", "hot", hot_tiers),
                ("L0", "l0", l0_tiers),
            )
            notes += [
                f"note: the {column} column of {name} was served from {', '.join(sorted(tiers))}"
                for column, named, tiers in served
                if tiers != {named}
            ]
        header = f"{'dataset':<18}{'rows':>7}{'cold (API)':>14}{'warm':>14}{'hot':>14}{'L0':>14}"
        print(header + f"{'hot speed-up':>15}")
        print("-" * (len(header) + 15))
        for name, n, cold, warm, hot, l0 in rows:
            print(
                f"{name:<18}{n:>7}{_ms(cold):>14}{_ms(warm):>14}{_ms(hot):>14}{_ms(l0):>14}"
                f"{cold / hot:>14.0f}x"
            )
        for note in notes:  # a column timed another tier than it names (a tier down, say)
            print(note)
        stats = session.cache_stats()
        overall = stats["overall"]
        print(
            f"\nhit rate {overall['hit_rate']:.1%}  ({overall['hits']} hits, "
            f"{overall['misses']} misses, {overall['api_calls_avoided']} API calls avoided)"
        )
        median_speedup = statistics.median(r[2] / r[4] for r in rows)
        print(f"median hot-tier speed-up over the API: {median_speedup:.0f}x")
        folder = args.out if args.out is not None else session.settings.home / "demo"
        written = write_demo_files(session, folder)
        print(f"\ncharts and the efficiency report written to {folder}:")
        print("  " + ", ".join(path.name for path in written))
    return 0


#: Resolution of the demo's PNG charts: each is its figure's size in inches times this.
DEMO_DPI = 100


def write_demo_files(session: Any, folder: Path) -> list[Path]:
    """The session's charts (hit rate, latency, timeline, quota) as PNG files and its
    efficiency report as an HTML page, in ``folder`` (created); the paths written."""
    from sportsframe import plots

    folder.mkdir(parents=True, exist_ok=True)
    stats = session.cache_stats()
    charts = {
        "hit_rate.png": plots.hit_rate(stats),
        "latency.png": plots.latency(stats),
        "timeline.png": plots.timeline(stats),
        "quota.png": plots.quota(session.quota()),
    }
    written = []
    for name, figure in charts.items():
        # A fixed size (no tight bounding box): every image is its figure's size at DEMO_DPI.
        figure.savefig(folder / name, format="png", dpi=DEMO_DPI)
        written.append(folder / name)
    report = session.efficiency()
    report.to_html(folder / "efficiency.html")
    written.append(folder / "efficiency.html")
    return written


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
            kwargs = {"datasets": args.datasets} if args.datasets else {}
            result = session.warm(args.season, args.weeks, progress=True, **kwargs)
        print(json.dumps(result, indent=2, default=str))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """The cache statistics of this process and the month's API quota (text, JSON or the
    Prometheus exposition of sportsframe's registry)."""
    from sportsframe import metrics
    from sportsframe.cache.stats import json_default

    with _session(args) as session:
        quota = session.quota()  # also sets the quota gauges
        stats = session.cache_stats()
    if args.prometheus:
        print(metrics.exposition(), end="")
    elif args.json:
        print(json.dumps({"cache": stats, "quota": quota}, indent=2, default=json_default))
    else:
        print(_stats_text(stats, quota))
    return 0


def _output_folder(text: str) -> Path:
    """An argparse type: a folder to write into (created if missing; not a file)."""
    path = Path(text).expanduser()
    if not text or path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder")
    return path


def _output_file(text: str) -> Path:
    """An argparse type: a file to write, in a folder that exists (checked before any I/O)."""
    path = Path(text).expanduser()
    if not text or path.is_dir() or not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file in an existing folder")
    return path


def _stats_text(stats: Any, quota: Any) -> str:
    import pandas as pd

    overall = stats["overall"]
    calls = overall["hits"] + overall["misses"]
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        table = stats.to_frame().to_string(na_rep="-")
    share = quota["used"] / quota["limit"] if quota["limit"] else 1.0
    return (
        f"cache, this process: {calls:,} calls, hit rate {overall['hit_rate']:.1%}, "
        f"{overall['api_calls_avoided']:,} API calls avoided "
        "(counts are per process; sf.metrics.serve() exposes a long job's)\n"
        f"{table}\n\n"
        f"API quota {quota['month']} ({quota['source']}): {quota['used']:,} of "
        f"{quota['limit']:,} used ({share:.1%}), {quota['remaining']:,} remaining; "
        f"resets {quota['resets_at']:%Y-%m-%d %H:%M} UTC"
    )


def cmd_report(args: argparse.Namespace) -> int:
    """The efficiency report as a table (or JSON), and as an HTML page and a PNG chart."""
    with _session(args) as session:
        report = session.efficiency()
    if args.html is not None:
        report.to_html(args.html)
    if args.png is not None:
        report.to_png(args.png)
    print(report.to_json(indent=2) if args.json else report.to_text())
    for path in (args.html, args.png):
        if path is not None:  # on stderr: stdout stays the table (or the JSON) alone
            print(f"wrote {path}", file=sys.stderr)
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
    from sportsframe.registry.datasets import DATASETS

    debug = _Parser(add_help=False)
    debug.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,  # so that a subcommand's default does not undo the main one
        help="debug logging, and the traceback of an error",
    )
    parser = _Parser(prog="sportsframe", description=__doc__, parents=[debug])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", parents=[debug], help="run a modeller's session against the local emulator"
    )
    demo.add_argument("--season", type=_season, default=2024)
    demo.add_argument(
        "--week", type=_registry_argument("week", f"a week ({WEEKS_HELP})"), default=18
    )
    demo.add_argument("--no-latency", action="store_true", help="emulator answers at once")
    demo.add_argument(
        "--out",
        type=_output_folder,
        metavar="DIR",
        help="where to write the charts and the report (default: SPORTSFRAME_HOME/demo)",
    )
    demo.set_defaults(func=cmd_demo)

    common = _Parser(add_help=False, parents=[debug])
    common.add_argument("--emulator", action="store_true", help="use demo data (emulator)")
    common.add_argument("--offline", action="store_true", help="never call the API")

    warm = sub.add_parser("warm", parents=[common], help="pre-cache datasets")
    warm.add_argument("--season", type=_season)
    warm.add_argument("--weeks", type=_weeks, help=f"{WEEKS_HELP} (default: every week so far)")
    warm.add_argument("--datasets", type=_datasets, help="comma-separated dataset names")
    warm.add_argument("--current", action="store_true", help="teams, schedule, current week")
    warm.add_argument(
        "--upcoming",
        type=_hours,
        metavar="HOURS",
        help="props and injuries of games kicking off within HOURS",
    )
    warm.set_defaults(func=cmd_warm)

    stats = sub.add_parser(
        "stats", parents=[common], help="print cache statistics and the API quota"
    )
    output = stats.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="as JSON")
    output.add_argument(
        "--prometheus", action="store_true", help="sportsframe's metrics, Prometheus text format"
    )
    stats.set_defaults(func=cmd_stats)

    cleanup = sub.add_parser(
        "cleanup", parents=[common], help="delete entries expired past the grace window"
    )
    cleanup.set_defaults(func=cmd_cleanup)

    report = sub.add_parser(
        "report", parents=[common], help="print the cache efficiency report per data type"
    )
    report.add_argument("--json", action="store_true", help="print it as JSON instead")
    report.add_argument(
        "--html", type=_output_file, metavar="FILE", help="also write it as an HTML page"
    )
    report.add_argument(
        "--png", type=_output_file, metavar="FILE", help="also write its chart as a PNG image"
    )
    report.set_defaults(func=cmd_report)

    inv = sub.add_parser("invalidate", parents=[common], help="remove cached entries")
    inv.add_argument("dataset", nargs="?", choices=sorted(DATASETS), metavar="DATASET")
    inv.add_argument("--season", type=_season)
    inv.add_argument("--week", type=_registry_argument("week", f"a week ({WEEKS_HELP})"))
    inv.add_argument(
        "--team", type=_registry_argument("team", "a team key"), help="a team key such as KC"
    )
    inv.add_argument("--player-id", type=_registry_argument("player_id", "a SportsDataIO PlayerID"))
    inv.set_defaults(func=cmd_invalidate)

    from sportsframe.emulator import add_parser as add_emulator_parser

    add_emulator_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sportsframe`` console script."""
    from sportsframe.errors import CacheUnavailableError, InvalidParameterError, SportsFrameError

    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    prog = f"sportsframe {args.command}"
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except InvalidParameterError as exc:  # an argument only the call itself could check
        return _fail(2, f"{prog}: error: {exc}", debug)
    except CacheUnavailableError as exc:
        hint = "check DATABASE_URL and the REDIS_* settings"
        return _fail(1, f"{prog}: {exc} ({hint})", debug)
    except SportsFrameError as exc:
        return _fail(1, f"{prog}: {exc}", debug)
    except Exception as exc:
        return _fail(1, f"{prog}: unexpected {type(exc).__name__}: {exc}", debug)


def _fail(status: int, message: str, debug: bool) -> int:
    """Print ``message`` as one line (secrets masked), the traceback too under ``--debug``."""
    if debug:
        traceback.print_exc()
    line = " ".join(message.split())
    for secret in _secrets():
        line = line.replace(secret, "***")
    if not debug:
        line += " [--debug shows more]" if status == 1 else ""
    print(line, file=sys.stderr)
    return status


def _secrets() -> list[str]:
    """Secret values from the environment, longest first (a message must never carry one)."""
    found = [os.environ.get(name, "") for name in ("SPORTSDATAIO_API_KEY", "REDIS_PASSWORD")]
    for name in ("DATABASE_URL", "REDIS_URL"):
        try:
            found.append(urlsplit(os.environ.get(name, "")).password or "")
        except ValueError:
            continue
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
