"""The registry's generated facts: ``operations.json`` is consistent with the registry, and (when
the OpenAPI specs are at hand) ``tools/generate_api.py --check`` finds every generated file up to
date.

The specs are not part of the project; point ``SPORTSFRAME_OPENAPI_SPECS`` at a directory holding
the five ``nfl-v3-*.yml`` files to run the regeneration check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sportsframe.errors import InvalidParameterError
from sportsframe.registry import ENDPOINTS, ParamKind
from sportsframe.registry.operations import operation_facts
from sportsframe.registry.ttl import TTL_POLICIES, CacheDataType

ROOT = Path(__file__).resolve().parent.parent


def test_there_are_132_operations_each_a_registry_row_with_its_facts() -> None:
    facts = operation_facts()
    assert len(facts) == 132
    assert len({f["operation_id"] for f in facts}) == 132
    for f in facts:
        ep = ENDPOINTS[f["name"]]
        assert ep.operation == f["operation_id"]
        assert ep.path == f["path"]
        # Every placeholder of the path is filled by a parameter of the row.
        path_params = {p.path_name for p in ep.params if p.path_name}
        assert set(_placeholders(f["path"])) <= path_params, f["name"]
        assert ep.data_type.value == f["data_type"], f["name"]


def _placeholders(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def test_every_new_data_type_has_its_own_ttl() -> None:
    for data_type in (
        CacheDataType.PROJECTIONS,
        CacheDataType.DFS,
        CacheDataType.TRENDS,
        CacheDataType.DELTA,
        CacheDataType.SIMULATION,
    ):
        assert TTL_POLICIES[data_type] > 0
    assert TTL_POLICIES[CacheDataType.DELTA] < TTL_POLICIES[CacheDataType.PLAY_BY_PLAY]


def test_new_parameter_kinds_write_keys_and_paths() -> None:
    by_date = ENDPOINTS["scores_by_date"].bind("2024-12-01")
    assert by_date.key == "scores_by_date:2024-12-01"
    assert by_date.path.endswith("/ScoresByDate/2024-DEC-01")
    iso = ENDPOINTS["betting_events_by_date"].bind("2024-12-01")
    assert iso.path.endswith("/BettingEventsByDate/2024-12-01")
    logs = ENDPOINTS["player_game_logs"].bind(2024, 4321, games=5)
    assert logs.key == "player_game_logs:2024:4321:5"
    assert logs.path.endswith("/PlayerGameStatsBySeason/2024REG/4321/5")
    frames = ENDPOINTS["timeframes"]
    assert frames.takes(ParamKind.CHOICE) is not None
    assert frames.bind().path.endswith("/Timeframes/current")
    assert frames.bind("UPCOMING").key == "timeframes:upcoming"
    group = ENDPOINTS["odds_by_group"].bind(2024, 13, "G1100")
    assert group.key == "odds_by_group:2024:13:G1100"
    for bad in ("G-1", "G_1", "", "G 1", "G/1"):
        with pytest.raises(InvalidParameterError, match="letters and digits"):
            ENDPOINTS["odds_by_group"].bind(2024, 13, bad)


@pytest.mark.skipif(
    not os.environ.get("SPORTSFRAME_OPENAPI_SPECS"),
    reason="SPORTSFRAME_OPENAPI_SPECS is not set (the specs are not part of the project)",
)
def test_the_generated_files_are_up_to_date_with_the_specs() -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "generate_api.py"),
            os.environ["SPORTSFRAME_OPENAPI_SPECS"],
            "--check",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
