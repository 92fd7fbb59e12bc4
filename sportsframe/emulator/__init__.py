"""A local SportsDataIO NFL emulator: deterministic synthetic data in the real response schema.

The data is a simulated league (:mod:`.sim`): players with talent and roles, injuries that keep
them out, games played snap by snap, and sportsbooks that set lines from what they know before
kickoff, so the numbers behave like football and like a sportsbook. The same seed gives the
same league, byte for byte, in every process.

Every GET operation of the five NFL v3 specs (scores, stats, odds, play-by-play, projections)
is served from that one league, so ids agree across feeds: a ``PlayerID`` is a rostered
player, a ``ScoreID`` (= ``GameID``, ``BettingEventID``) a scheduled game, a projection shares
its ``PlayerGameID`` with the actual line, a market fetched by id equals the one in its game's
list, a slate's players are the week's projected players. Filtered operations (final only, by
team, by date, by sportsbook group, basic models) are filters of the full feed. Projections are
the plan's expected lines (:mod:`.expected`), so they correlate with the actual lines without
equalling them. Future weeks answer as the service does: stats and finals ``[]``, schedules
and scores the scheduled games, projections and DFS slates only for the weeks about to be
played (see each module's docstring for its rule).

A real HTTP server on loopback (``start_emulator()`` in-process, or ``sportsframe emulator
--port 8765``) that checks the API key, can add latency and inject faults (429 with Retry-After,
5xx, slow answers, and 200 answers with truncated JSON, an HTML page, no body, or records whose
fields drifted: see ``FaultRule``), and logs every request it serves so tests and benchmarks can
count API calls from the server's side. Demo data is only ever used when asked for by name.
"""

from sportsframe.emulator.app import (
    Emulator,
    FaultRule,
    Faults,
    RequestLog,
    RequestRecord,
    UnknownPathError,
    build_app,
)
from sportsframe.emulator.cli import add_parser, main
from sportsframe.emulator.server import EmulatorServer, start_emulator

__all__ = [
    "Emulator",
    "EmulatorServer",
    "FaultRule",
    "Faults",
    "RequestLog",
    "RequestRecord",
    "UnknownPathError",
    "add_parser",
    "build_app",
    "main",
    "start_emulator",
]
