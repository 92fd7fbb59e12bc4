"""The endpoint registry: keys as the spec builds them, paths, validation and patterns."""

from __future__ import annotations

import importlib

import pytest

from sportsframe.errors import InvalidParameterError
from sportsframe.registry import ENDPOINTS, Endpoint, patterns_for, week_patterns


def test_at_least_22_endpoints_with_spec_method_names() -> None:
    assert len(ENDPOINTS) >= 22
    methods = {e.method for e in ENDPOINTS.values()}
    for name in (
        "get_teams",
        "get_schedules",
        "get_players",
        "get_player_details_by_player",
        "get_player_props_by_week",
        "get_pregame_odds_by_week",
        "get_injuries_by_week",
        "get_box_scores_by_week",
        "get_player_game_stats_by_week",
        "get_play_by_play",
    ):
        assert name in methods


def test_keys_are_the_spec_keys() -> None:
    assert ENDPOINTS["player_props"].bind(2024, 18, True).key == "player_props:2024:18:True"
    assert ENDPOINTS["player_props"].bind(2024, 18).key == "player_props:2024:18:False"
    assert ENDPOINTS["injuries"].bind(2024, 18).key == "injuries:2024:18"
    assert ENDPOINTS["injuries"].bind(2024, 2, season_type="POST").key == "injuries:2024POST:2"
    assert ENDPOINTS["teams"].bind(2024).key == "teams:2024"
    assert ENDPOINTS["stadiums"].bind().key == "stadiums"


def test_paths_carry_the_season_type_and_no_key() -> None:
    call = ENDPOINTS["injuries"].bind(2024, 18)
    assert call.path == "/v3/nfl/stats/json/Injuries/2024REG/18"
    assert ENDPOINTS["teams"].bind(2024).path == "/v3/nfl/scores/json/Teams/2024"
    assert "key" not in call.path.lower()


def test_week_patterns_reach_every_week_keyed_endpoint() -> None:
    patterns = week_patterns(2024, 18)
    week_keyed = [e for e in ENDPOINTS.values() if e.has_week]
    assert len(patterns) == len(week_keyed)
    assert "injuries:2024:18" in patterns
    assert "player_props:2024:18:*" in patterns
    team_patterns = patterns_for("team", "SF")
    assert team_patterns[:2] == ["players:SF", "news_by_team:SF"]
    team_keyed = [e for e in ENDPOINTS.values() if any(p.name == "team" for p in e.key_params)]
    assert len(team_patterns) == len(team_keyed)
    assert "injuries_by_team:*:*:SF" in team_patterns


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "parameter"),
    [
        ("injuries", (2024, 0), {}, "week"),
        ("injuries", (2020, 18), {}, "week"),  # 17 weeks before 2021
        ("injuries", (2024, 5), {"season_type": "POST"}, "week"),  # POST has 4
        ("players", ("XXX",), {}, "team"),
        ("player", (0,), {}, "player_id"),
    ],
)
def test_validation_names_the_argument(
    name: str, args: tuple[object, ...], kwargs: dict[str, object], parameter: str
) -> None:
    with pytest.raises(InvalidParameterError) as err:
        ENDPOINTS[name].bind(*args, **kwargs)
    assert err.value.parameter == parameter


def test_historical_team_keys_are_accepted() -> None:
    for key in ("OAK", "SD", "STL", "kc"):
        ENDPOINTS["players"].bind(key)


def test_a_row_names_each_of_its_values() -> None:
    # The rows are read by people: an Endpoint takes keywords only, so each value says what it is.
    teams = ENDPOINTS["teams"]
    with pytest.raises(TypeError):
        Endpoint(  # type: ignore[call-arg]
            teams.name,
            teams.method,
            teams.path,
            teams.params,
            teams.data_type,
            teams.model,
            teams.shape,
            teams.description,
        )


@pytest.mark.parametrize(
    "module",
    [
        "sportsframe.registry",
        "sportsframe.registry.params",
        "sportsframe.registry.endpoint",
        "sportsframe.registry.props",
        "sportsframe.registry.nfl",
        "sportsframe.frames",
        "sportsframe.frames.schema",
        "sportsframe.frames.build",
        "sportsframe.frames.stored",
    ],
)
def test_every_exported_name_exists(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in loaded.__all__ if not hasattr(loaded, name)]
    assert missing == []
