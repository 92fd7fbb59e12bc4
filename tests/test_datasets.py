"""The dataset table: every framed operation behind one dataset function, keyword filters choosing
the narrowest operation (and refusing what none answers before any I/O), calls that kept their
keys, the generated declarations up to date, and ``sf.datasets()`` / ``sf.dictionary()`` for all."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import sportsframe as sf
from sportsframe import frames
from sportsframe.emulator import EmulatorServer, start_emulator
from sportsframe.errors import InvalidParameterError
from sportsframe.registry import ENDPOINTS
from sportsframe.registry.datasets import DATASETS, Dataset, choose, expand
from tests.filters import FILTER_VALUES, filters_of
from tests.test_facade import api_paths, make_session

ROOT = Path(__file__).resolve().parent.parent

#: The functions offered before the filters, and the operation each read: their calls keep the
#: same operation, and so the same cache keys, when no filter is given.
BEFORE_FILTERS = {
    "props": "player_props",
    "generated_props": "generated_props",
    "odds": "odds",
    "live_odds": "live_odds",
    "injuries": "injuries",
    "scores": "scores",
    "box_scores": "box_scores",
    "player_game_stats": "player_game_stats",
    "team_game_stats": "team_game_stats",
    "teams": "teams",
    "schedules": "schedules",
    "standings": "standings",
    "byes": "byes",
    "player_season_stats": "player_season_stats",
    "team_season_stats": "team_season_stats",
    "betting_events": "betting_events",
    "players": "players",
    "news_by_team": "news_by_team",
    "player": "player",
    "news_by_player": "news_by_player",
    "play_by_play": "play_by_play",
    "box_score": "box_score",
    "line_movement": "line_movement",
    "betting_markets": "betting_markets",
    "news": "news",
    "depth_charts": "depth_charts",
    "stadiums": "stadiums",
}


def test_every_framed_operation_is_behind_exactly_one_dataset() -> None:
    behind = [v.endpoint_name for ds in DATASETS.values() for v in ds.variants]
    assert len(behind) == len(set(behind))
    framed = {name for name, ep in ENDPOINTS.items() if ep.shape != "scalar"}
    # player_props_game is a part of the assembled props too, and a dataset of its own.
    assert set(behind) == framed


def test_scalar_operations_are_plain_functions() -> None:
    scalars = {name for name, ep in ENDPOINTS.items() if ep.shape == "scalar"}
    for name in scalars:
        assert callable(getattr(sf, name)), name
        assert name in sf.__all__
        assert name not in DATASETS


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_the_operations_of_a_dataset_share_model_data_type_and_frame_schema(name: str) -> None:
    ds = DATASETS[name]
    first = ds.endpoint
    for variant in ds.variants:
        assert variant.endpoint.model == first.model, variant.endpoint_name
        assert variant.endpoint.data_type is first.data_type, variant.endpoint_name
    # The frame of any variant is built with the dataset's schema (its first operation's).
    assert list(sf.dictionary(name)["column"]) == frames.schema(ds.endpoint_name).names


@pytest.mark.parametrize(("name", "endpoint"), sorted(BEFORE_FILTERS.items()))
def test_calls_without_filters_read_the_operation_they_read_before(
    name: str, endpoint: str
) -> None:
    ds = DATASETS[name]
    assert choose(ds, {}).endpoint_name == endpoint
    values = {"season": [2024], "week": [13], "team": ["KC"], "player_id": [1], "score_id": [7]}
    values["game_id"] = [7]
    calls = expand(ds, {n: values[n] for n in ds.positional})
    ep = ENDPOINTS[endpoint]
    expected = ep.bind(**{n: values[n][0] for n in ds.positional})
    assert [c.key for c in calls] == [expected.key]


def _settings(ds: Dataset) -> list[dict[str, Any]]:
    """Every combination of the dataset's filters: each set or left at its default."""
    choices: list[list[tuple[str, Any]]] = []
    for f in ds.filters:
        if f.kind == "flag":
            choices.append([(f.name, False), (f.name, True)])
        elif f.kind == "choice":
            choices.append([(f.name, None), *((f.name, c) for c in f.choices)])
        else:
            choices.append([(f.name, None), (f.name, FILTER_VALUES[f.name])])
    return [dict(combo) for combo in itertools.product(*choices)]


@pytest.mark.parametrize("name", sorted(n for n, ds in DATASETS.items() if ds.filters))
def test_filters_choose_the_operation_answering_exactly_them_or_are_refused(name: str) -> None:
    ds = DATASETS[name]
    for variant in ds.variants:
        assert choose(ds, filters_of(ds, variant)) is variant
    kinds = {f.name: f.kind for f in ds.filters}
    for setting in _settings(ds):
        given = sorted(k for k, v in setting.items() if v not in (None, False))
        # A flag or a value filter is answered by its name, a choice by its value too.
        tokens = {f"{k}={setting[k]}" if kinds[k] == "choice" else k for k in given}
        expected = [v for v in ds.variants if v.filters == tokens]
        if expected:
            assert choose(ds, setting) is expected[0]
        else:
            with pytest.raises(InvalidParameterError) as raised:
                choose(ds, setting)
            message = str(raised.value)
            assert all(name in message for name in given), message


def test_a_filter_of_the_wrong_type_is_refused() -> None:
    ds = DATASETS["player_game_stats"]
    with pytest.raises(InvalidParameterError, match="final"):
        choose(ds, {"final": "yes"})
    with pytest.raises(InvalidParameterError, match="inside"):
        choose(DATASETS["player_game_red_zone_stats"], {"inside": 20})
    with pytest.raises(InvalidParameterError, match="team"):
        expand(ds, {"season": [2024], "week": [13]}, {"team": "Kansas City"})


def test_positional_values_expand_into_one_call_of_the_chosen_operation_each() -> None:
    ds = DATASETS["player_game_stats"]
    calls = expand(ds, {"season": [2024], "week": [12, 13, 13]}, {"team": "KC", "final": True})
    assert [c.endpoint.name for c in calls] == ["player_game_stats_by_team_final"] * 2
    assert [c.values["week"] for c in calls] == [12, 13]
    assert {c.values["team"] for c in calls} == {"KC"}
    # A renamed parameter: the GameID of the by-group markets is the game's ScoreID.
    (call,) = expand(DATASETS["betting_markets"], {"score_id": [7]}, {"sportsbook_group": "G1"})
    assert call.endpoint.name == "betting_markets_by_group"
    assert call.values["game_id"] == 7
    (call,) = expand(DATASETS["player_profiles"], {}, {"rookie_year": 2024})
    assert (call.endpoint.name, call.values["season"]) == ("rookie_profiles", 2024)


def test_an_option_the_chosen_operation_lacks_is_refused() -> None:
    ds = DATASETS["player_game_stats_delta"]
    with pytest.raises(InvalidParameterError, match="season_type"):
        expand(ds, {"minutes": [5]}, {"season_type": "POST"})
    (call,) = expand(ds, {"minutes": [5]}, {"season": 2024, "week": 3, "season_type": "POST"})
    assert call.endpoint.name == "player_game_stats_by_week_delta"


def test_bad_filters_fail_before_any_request(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as session:
        with pytest.raises(InvalidParameterError, match="free_agents"):
            session.player_profiles(team="KC", free_agents=True)
        with pytest.raises(InvalidParameterError, match="season"):
            session.player_game_stats_delta(5, season=2024)  # needs week too
        with pytest.raises(InvalidParameterError, match="final"):
            session.player_game_stats(2024, 13, final="yes")
        with pytest.raises(InvalidParameterError, match="inside"):
            session.player_game_red_zone_stats(2024, inside=20)  # before the week lookup
        with pytest.raises(InvalidParameterError, match="date"):
            session.news(date="yesterday")
        with pytest.raises(InvalidParameterError, match="week"):
            session.box_score_by_team(2024, None, "KC")
    assert api_paths(emulator) == []


def test_clear_cache_of_a_dataset_clears_every_operation_behind_it(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as session:
        session.injuries(2024, 13)
        session.injuries(2024, 13, team="KC")
        assert session.clear_cache("injuries", season=2024, week=13) == 2
        emulator.clear_requests()
        assert session.injuries(2024, 13, team="KC").attrs["served_from"] == "api"
    assert len(api_paths(emulator)) == 1


def test_warm_takes_only_datasets_of_a_season_and_weeks(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    with make_session(emulator, namespace, tmp_path) as session:
        with pytest.raises(InvalidParameterError, match="box_score"):
            session.warm(2024, 13, datasets=("box_score",))
        assert session.warm(2024, [12, 13], datasets=("player_game_projections", "teams")) == {
            "player_game_projections": 2,
            "teams": 1,
        }


def test_sf_datasets_lists_every_function_and_each_has_a_dictionary() -> None:
    assert sf.datasets() == sorted(DATASETS)
    for name in sf.datasets():
        assert callable(getattr(sf, name)), name
        dictionary = sf.dictionary(name)
        assert list(dictionary.columns) == ["column", "dtype", "source_field", "description"]
        assert list(dictionary["column"]) == frames.schema(DATASETS[name].endpoint_name).names


def test_generated_declarations_are_up_to_date() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_facade.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Sunday of 2024 week 13: week 12 is the last completed, 14 the next; 2023 is over.
        (datetime(2024, 12, 1, 19, 30, tzinfo=UTC), (True, 2023, 12, 2024, 14)),
        # After the 2024 Super Bowl: the 2025 season is the upcoming one.
        (datetime(2025, 3, 1, 12, 0, tzinfo=UTC), (False, 2024, 18, 2025, 1)),
    ],
)
def test_the_timeframe_scalars_answer_what_the_service_says(
    now: datetime, expected: tuple[Any, ...], tmp_path: Path, namespace: str
) -> None:
    server = start_emulator(now=now)
    try:
        with make_session(server, namespace, tmp_path) as session:
            got = (
                session.games_in_progress(),
                session.last_completed_season(),
                session.last_completed_week(),
                session.upcoming_season(),
                session.upcoming_week(),
            )
    finally:
        server.stop()
    assert got == expected
