"""The endpoint registry: parameters, endpoints and their keys, paths and invalidation globs,
the NFL rows, the datasets built on them, and the TTL policy.

The modules, from the bottom up: :mod:`.params` (parameter kinds, validation, week bounds),
:mod:`.endpoint` (an endpoint and a bound call: keys, paths, globs), :mod:`.props` (the props-week
assembly), :mod:`.nfl` (the rows and the lookups over them), :mod:`.dataset` and
:mod:`.dataset_table` (the facade's datasets: functions, their operations and filters),
:mod:`.datasets` (a call's operation and bound calls), :mod:`.ttl` (cache data types and their
TTLs) and :mod:`.glob` (Redis-style globs).
"""

from sportsframe.registry.endpoint import BoundCall, Endpoint, Fetch
from sportsframe.registry.nfl import (
    ENDPOINTS,
    PLAYER_PROPS_GAME,
    endpoint,
    patterns_for,
    validate_argument,
    week_patterns,
)
from sportsframe.registry.params import (
    FIRST_SEASON,
    SEASON_TYPES,
    Param,
    ParamKind,
    latest_season,
    max_week,
    min_week,
)

__all__ = [
    "ENDPOINTS",
    "FIRST_SEASON",
    "PLAYER_PROPS_GAME",
    "SEASON_TYPES",
    "BoundCall",
    "Endpoint",
    "Fetch",
    "Param",
    "ParamKind",
    "endpoint",
    "latest_season",
    "max_week",
    "min_week",
    "patterns_for",
    "validate_argument",
    "week_patterns",
]
