"""sportsframe: SportsDataIO NFL data as pandas DataFrames, behind a three-tier cache.

>>> import sportsframe as sf
>>> props = sf.props(2024, 18)              # doctest: +SKIP
>>> props.attrs["served_from"]              # doctest: +SKIP
'api'

One function per dataset (``props``, ``odds``, ``injuries``, ``scores``, ...),
each returning a typed DataFrame; ``sf.dictionary("props")`` describes its columns. Control:
``configure``, ``warm``, ``clear_cache``, ``cache_stats``, ``quota``, ``cleanup``; charts in
``sportsframe.plots``; Prometheus metrics in ``sf.metrics``; explicit sessions:
``Session`` (sync) and ``AsyncSession`` (``await sf.AsyncSession().props(2024, 18)``).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd

from sportsframe import metrics
from sportsframe.datasets import DATASETS
from sportsframe.errors import (
    APIError,
    ConfigurationError,
    InvalidParameterError,
    OfflineCacheMissError,
    QuotaExhaustedError,
    SportsFrameError,
)
from sportsframe.session import AsyncSession, Session
from sportsframe.settings import Settings

__all__ = [
    "APIError",
    "AsyncSession",
    "ConfigurationError",
    "InvalidParameterError",
    "OfflineCacheMissError",
    "QuotaExhaustedError",
    "Session",
    "Settings",
    "SportsFrameError",
    "betting_events",
    "betting_markets",
    "box_score",
    "box_scores",
    "byes",
    "cache_stats",
    "cleanup",
    "clear_cache",
    "configure",
    "current_season",
    "current_week",
    "datasets",
    "depth_charts",
    "dictionary",
    "generated_props",
    "get_session",
    "injuries",
    "line_movement",
    "live_odds",
    "metrics",
    "news",
    "news_by_player",
    "news_by_team",
    "odds",
    "play_by_play",
    "player",
    "player_game_stats",
    "player_season_stats",
    "players",
    "props",
    "quota",
    "schedules",
    "scores",
    "stadiums",
    "standings",
    "team_game_stats",
    "team_season_stats",
    "teams",
    "warm",
    "warm_current",
    "warm_upcoming",
]

__version__ = "0.1.0"

_lock = threading.Lock()
_default: Session | None = None


def get_session() -> Session:
    """The default session behind the module functions (created from the environment)."""
    global _default
    with _lock:
        if _default is None:
            _default = Session()
        return _default


def configure(**settings: Any) -> Session:
    """Replace the default session with one built from the environment plus ``settings``.

    ``sf.configure(offline=True)``, ``sf.configure(source="emulator")``,
    ``sf.configure(api_key="...")``. Names are the Python names of the README's table.
    """
    global _default
    new = Session(**settings)
    with _lock:
        old, _default = _default, new
    if old is not None:
        old.close()
    return new


def datasets() -> list[str]:
    """The names of every dataset function."""
    return sorted(DATASETS)


def dictionary(dataset: str) -> pd.DataFrame:
    """The data dictionary of a dataset: column, dtype, source field and a one-line description."""
    from sportsframe import frames

    if dataset not in DATASETS:
        raise InvalidParameterError("dataset", dataset, f"unknown; known: {', '.join(datasets())}")
    return frames.dictionary(DATASETS[dataset].endpoint_name)


def _export(name: str) -> Callable[..., Any]:
    target = getattr(AsyncSession, name)

    def function(*args: Any, **kwargs: Any) -> Any:
        # Session resolves the call: datasets try L0 in this thread, the rest run on the loop.
        return getattr(get_session(), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = target.__doc__
    signature = inspect.signature(target)
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:]
    )
    function.__module__ = __name__
    return function


props = _export("props")
generated_props = _export("generated_props")
odds = _export("odds")
live_odds = _export("live_odds")
line_movement = _export("line_movement")
injuries = _export("injuries")
scores = _export("scores")
box_scores = _export("box_scores")
box_score = _export("box_score")
player_game_stats = _export("player_game_stats")
team_game_stats = _export("team_game_stats")
teams = _export("teams")
schedules = _export("schedules")
standings = _export("standings")
byes = _export("byes")
player_season_stats = _export("player_season_stats")
team_season_stats = _export("team_season_stats")
betting_events = _export("betting_events")
betting_markets = _export("betting_markets")
players = _export("players")
player = _export("player")
news = _export("news")
news_by_team = _export("news_by_team")
news_by_player = _export("news_by_player")
play_by_play = _export("play_by_play")
depth_charts = _export("depth_charts")
stadiums = _export("stadiums")
current_season = _export("current_season")
current_week = _export("current_week")
warm = _export("warm")
warm_current = _export("warm_current")
warm_upcoming = _export("warm_upcoming")
clear_cache = _export("clear_cache")
cache_stats = _export("cache_stats")
# The function takes the package attribute of the sportsframe.quota module, as the facade's
# name; ``from sportsframe.quota import ...`` still reaches the module (through sys.modules).
quota = _export("quota")
cleanup = _export("cleanup")
