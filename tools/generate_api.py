"""Generate sportsframe's API facts from SportsDataIO's published NFL v3 OpenAPI specs.

Usage::

    python tools/generate_api.py SPEC_DIR          # write the files below
    python tools/generate_api.py SPEC_DIR --check  # exit 1 if a committed file differs

``SPEC_DIR`` holds the five specs (``nfl-v3-{scores,stats,odds,play-by-play,projections}.yml``).
The script writes three files, all committed, so that nothing at run time or in the tests needs
the specs:

``sportsframe/registry/operations.json``
    Every GET operation (132): its endpoint name, feed, path template, parameters (with their
    kind), response shape and model, cache data type and the spec's summary. The registry builds
    one endpoint row from each (:mod:`sportsframe.registry.operations`).
``sportsframe/sportsdataio-models.json``
    Every response model with its fields in the spec's order: JSON key, type (``int``,
    ``dec``, ``str``, ``bool``, ``dt`` or a model name), array, nullable. The frames and the
    emulator read it.
``tests/emulator/data/sportsdataio-openapi.json``
    Each operation's 200-response schema and the components it references, for the test that
    validates every emulator answer.

The specs type date-times as plain strings. Which string fields are date-times (Eastern wall-clock
``YYYY-MM-DDTHH:MM:SS``) is kept from the models file the script rewrites (it came from the
official C# SDK); a field of a model that file does not know yet is a date-time when its name is
one the known models use for date-times, or ends in ``Date``, ``DateTime``, ``Time``, ``Updated``,
``Created`` or ``UTC`` (and is not a ``...String``).

The endpoint names of operations sportsframe wrapped before keep their names (their cache keys
do not move); every other name is the path's first segment in snake_case, made unique by what
its extra parameters are (``_by_team``, ``_by_group`` for a sportsbook group).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "sportsframe" / "registry" / "operations.json"
MODELS = ROOT / "sportsframe" / "sportsdataio-models.json"
SCHEMAS = ROOT / "tests" / "emulator" / "data" / "sportsdataio-openapi.json"
SPECS = {
    "scores": "nfl-v3-scores.yml",
    "stats": "nfl-v3-stats.yml",
    "odds": "nfl-v3-odds.yml",
    "pbp": "nfl-v3-play-by-play.yml",
    "projections": "nfl-v3-projections.yml",
}

_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

#: Endpoint names chosen by hand: the operations wrapped before (their names are cache-key
#: prefixes already in users' caches) and names the mechanical rule would make unclear.
#: Keyed by the path after ``/{format}/``.
NAMES = {
    # scores
    "AreAnyGamesInProgress": "games_in_progress",
    "Teams": "active_teams",
    "Teams/{season}": "teams",
    "AllTeams": "all_teams",
    "Scores/{season}": "season_scores",
    "ScoresByWeek/{season}/{week}": "scores",
    "ScoresByWeekFinal/{season}/{week}": "scores_final",
    "NewsByPlayerID/{playerid}": "news_by_player",
    "Players": "all_players",
    "Players/{team}": "players",
    "PlayersBasic/{team}": "player_profiles_by_team",
    "PlayersByAvailable": "player_profiles",
    "PlayersByFreeAgents": "free_agent_profiles",
    "PlayersByRookieDraftYear/{season}": "rookie_profiles",
    "TeamGameStatsBySeason/{season}/{teamid}/{numberofgames}": "team_game_logs",
    "TransactionsByDate/{date}": "transactions",
    # stats
    "PlayerGameStatsByWeek/{season}/{week}": "player_game_stats",
    "PlayerGameStatsByWeekFinal/{season}/{week}": "player_game_stats_final",
    "PlayerGameStatsBySeason/{season}/{playerid}/{numberofgames}": "player_game_logs",
    "Injuries/{season}/{week}/{team}": "injuries_by_team",
    "FantasyDefenseByGame/{season}/{week}": "fantasy_defense_game_stats",
    "FantasyDefenseByGameByTeam/{season}/{week}/{team}": "fantasy_defense_game_stats_by_team",
    "FantasyDefenseBySeason/{season}": "fantasy_defense_season_stats",
    "FantasyDefenseBySeasonByTeam/{season}/{team}": "fantasy_defense_season_stats_by_team",
    "FantasyGameStatsByWeek/{season}/{week}": "fantasy_game_stats",
    "BoxScoresFinal/{season}/{week}": "box_scores",
    "BoxScoreByScoreIDV3/{scoreid}": "box_score",
    "BoxScoreFinal/{scoreid}": "box_score_final",
    "BoxScoreV3/{season}/{week}/{hometeam}": "box_score_by_team",
    "BoxScoreByTeamFinal/{season}/{week}/{hometeam}": "box_score_by_team_final",
    "BoxScoresDeltaV3/{season}/{week}/{playerstoinclude}/{minutes}": "box_scores_delta",
    "SimulatedBoxScoresV3/{numberofplays}": "simulated_box_scores",
    "ScoresFinal/{season}": "season_scores_final",
    # odds
    "GameOddsByWeek/{season}/{week}": "odds",
    "GameOddsLineMovement/{scoreid}": "line_movement",
    "LiveGameOddsByWeek/{season}/{week}": "live_odds",
    "LiveGameOddsLineMovement/{scoreid}": "live_line_movement",
    "AlternateMarketGameOddsByWeek/{season}/{week}": "alternate_odds",
    "AlternateMarketGameOddsLineMovement/{scoreid}": "alternate_line_movement",
    "PreGameOddsByWeek/{season}/{week}/{sportsbookgroup}": "odds_by_group",
    "PreGameOddsLineMovement/{scoreid}/{sportsbookgroup}": "line_movement_by_group",
    "PreGameOddsLineMovementWithResulting/{scoreid}/{sportsbookgroup}": (
        "line_movement_results_by_group"
    ),
    "InGameOddsByWeek/{season}/{week}/{sportsbookgroup}": "live_odds_by_group",
    "InGameLineMovement/{scoreid}/{sportsbookgroup}": "live_line_movement_by_group",
    "InGameLineMovementWithResulting/{scoreid}/{sportsbookgroup}": (
        "live_line_movement_results_by_group"
    ),
    "BettingMarketsByScoreID/{scoreid}": "betting_markets",
    "BettingMarketsByGameID/{gameid}/{sportsbookgroup}": "betting_markets_by_group",
    "BettingMarkets/{eventId}": "betting_markets_by_event",
    "BettingMarketsByEvent/{eventId}/{sportsbookgroup}": "betting_markets_by_event_by_group",
    "BettingMarketsByMarketType/{eventId}/{marketTypeID}": "betting_markets_by_market_type",
    "BettingMarketsByMarketType/{eventId}/{marketTypeID}/{sportsbookgroup}": (
        "betting_markets_by_market_type_by_group"
    ),
    "BettingMarket/{marketId}": "betting_market",
    "BettingMarket/{marketId}/{sportsbookgroup}": "betting_market_by_group",
    "BettingMarketResults/{marketId}": "betting_market_results",
    "BettingResultsByMarket/{marketId}/{sportsbookgroup}": "betting_market_results_by_group",
    "BettingPlayerPropsByScoreID/{scoreid}": "player_props_game",
    "BettingPlayerPropsByScoreID/{scoreid}/{sportsbookgroup}": "player_props_game_by_group",
    "BettingFuturesBySeason/{season}": "betting_futures",
    "BettingFuturesBySeason/{season}/{sportsbookgroup}": "betting_futures_by_group",
    "BettingSplitsByScoreId/{scoreId}": "betting_splits_by_game",
    "BettingSplitsByMarketId/{marketId}": "betting_splits_by_market",
    "ActiveSportsbooks": "sportsbooks",
    # play-by-play
    "PlayByPlay/{gameid}": "play_by_play",
    "PlayByPlay/{season}/{week}/{hometeam}": "play_by_play_by_team",
    "PlayByPlayFinal/{gameid}": "play_by_play_final",
    "PlayByPlayFinal/{season}/{week}/{hometeam}": "play_by_play_final_by_team",
    # projections
    "PlayerGameProjectionStatsByWeek/{season}/{week}": "player_game_projections",
    "PlayerGameProjectionStatsByTeam/{season}/{week}/{team}": "player_game_projections_by_team",
    "IdpPlayerGameProjectionStatsByWeek/{season}/{week}": "idp_player_game_projections",
    "IdpPlayerGameProjectionStatsByTeam/{season}/{week}/{team}": (
        "idp_player_game_projections_by_team"
    ),
    "PlayerSeasonProjectionStats/{season}": "player_season_projections",
    "PlayerSeasonProjectionStatsByTeam/{season}/{team}": "player_season_projections_by_team",
    "FantasyDefenseProjectionsByGame/{season}/{week}": "fantasy_defense_game_projections",
    "FantasyDefenseProjectionsBySeason/{season}": "fantasy_defense_season_projections",
    "DfsSlatesByWeek/{season}/{week}": "dfs_slates",
    "UpcomingDfsSlateOwnershipProjections": "upcoming_dfs_slate_ownership",
    "DfsSlateOwnershipProjectionsBySlateID/{slateId}": "dfs_slate_ownership",
}

#: Cache data type by endpoint name: the first rule whose pattern matches wins.
DATA_TYPES: list[tuple[str, str]] = [
    (r"delta$", "delta"),
    (r"^simulated_", "simulation"),
    (
        r"^(games_in_progress|current_|last_completed_|upcoming_(season|week)$|timeframes)",
        "timeframes",
    ),
    (r"projections|^fantasy_defense_.*projections", "projections"),
    (r"^(dfs_|upcoming_dfs)", "dfs"),
    (r"trends$", "trends"),
    (r"^player_props", "player_props"),
    (r"^(odds|live_odds|alternate_odds|.*line_movement|betting_splits)", "odds"),
    (r"^(betting_|sportsbooks)", "betting"),
    (r"^play_by_play", "play_by_play"),
    (r"^(injuries|injured_players)", "injuries"),
    (r"^(teams|active_teams|all_teams)", "teams"),
    (r"^(stadiums|referees)", "reference"),
    (r"^(news|transactions)", "news"),
    (r"^depth_charts", "depth_charts"),
    (r"^(schedules|byes)", "schedules"),
    (r"^standings", "standings"),
    (r"^(team_game|box_score)", "game_stats"),
    (r"scores", "scores"),
    (r"season_stats|season_red_zone|season_third_down|fantasy_defense_season", "season_stats"),
    (r"^(player_game|fantasy_game|fantasy_defense_game|player_ownership)", "player_game_stats"),
    (r"^(team_game|box_score)", "game_stats"),
    (r"players|profiles|free_agents|rookies|pro_bowlers", "players"),
]


def snake(name: str) -> str:
    return _SNAKE.sub("_", name).lower()


def _param(raw: dict[str, Any], op_path: str) -> list[dict[str, Any]]:
    """The registry parameter(s) of one path parameter of the spec."""
    name = raw["name"]
    text = (raw.get("description") or "").lower()
    schema = raw.get("schema") or {}
    if name == "season":
        # "Year of the season (with optional season type)": the path takes 2024REG/2024POST.
        typed = "season type" in text or "post" in text
        out = [{"name": "season", "kind": "season", "path_name": "season"}]
        if typed:
            out.append({"name": "season_type", "kind": "season_type", "default": "REG"})
        return out
    if name == "week":
        return [{"name": "week", "kind": "week", "path_name": "week"}]
    if name in ("team", "hometeam", "opponent"):
        return [{"name": "opponent" if name == "opponent" else "team", "kind": "team",
                 "path_name": name}]  # fmt: skip
    ids = {
        "playerid": "player_id",
        "scoreid": "score_id",
        "scoreId": "score_id",
        "gameid": "game_id",
        "eventId": "event_id",
        "marketId": "market_id",
        "marketTypeID": "market_type_id",
        "slateId": "slate_id",
        "teamid": "team_id",
    }
    if name in ids:
        return [{"name": ids[name], "kind": "id", "path_name": name}]
    if name == "date":
        # Most date paths take 2021-SEP-12; BettingEventsByDate's examples are ISO dates.
        style = "iso" if "BettingEventsByDate" in op_path else "month"
        return [{"name": "date", "kind": "date", "path_name": name, "style": style}]
    if name == "sportsbookgroup":
        return [{"name": "sportsbook_group", "kind": "token", "path_name": name}]
    if name in ("minutes", "numberofplays"):
        low = 1 if name == "minutes" else 0
        return [{"name": "minutes" if name == "minutes" else "plays", "kind": "count",
                 "path_name": name, "min": low}]  # fmt: skip
    if name == "numberofgames":
        return [{"name": "games", "kind": "games", "path_name": name, "default": "all"}]
    if "enum" in schema:
        return [{"name": {"playerstoinclude": "players", "type": "timeframe"}.get(name, name),
                 "kind": "choice", "path_name": name, "choices": schema["enum"],
                 "default": schema.get("default")}]  # fmt: skip
    raise SystemExit(f"no rule for parameter {name!r} of {op_path}")


def _order(params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Required parameters in path order, then those with defaults (season_type last)."""
    required = [p for p in params if "default" not in p]
    optional = [p for p in params if "default" in p and p["kind"] != "season_type"]
    typed = [p for p in params if p["kind"] == "season_type"]
    return required + optional + typed


def _response(schema: dict[str, Any]) -> tuple[str, str]:
    """(shape, model or JSON type) of a 200 response."""
    if schema.get("type") == "array":
        return "list", schema["items"]["$ref"].rsplit("/", 1)[1]
    if "$ref" in schema:
        return "object", schema["$ref"].rsplit("/", 1)[1]
    kind = schema["type"]
    kind = next(k for k in kind if k != "null") if isinstance(kind, list) else kind
    return "scalar", {"integer": "int", "boolean": "bool"}[kind]


def _data_type(name: str) -> str:
    for pattern, data_type in DATA_TYPES:
        if re.search(pattern, name):
            return data_type
    raise SystemExit(f"no data type rule for {name}")


def _name(rest: str, seen: set[str]) -> str:
    name = NAMES.get(rest) or snake(rest.split("/")[0]).replace("_i_d", "_id")
    if name in seen:
        raise SystemExit(f"two operations named {name}: add {rest!r} to NAMES")
    seen.add(name)
    return name


def operations(specs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for feed, spec in specs.items():
        for path, methods in spec["paths"].items():
            op = methods["get"]
            rest = path.split("/{format}/", 1)[1]
            name = _name(rest, seen)
            params: list[dict[str, Any]] = []
            for raw in op.get("parameters", []):
                if raw["in"] == "path" and raw["name"] != "format":
                    params += _param(raw, rest)
            schema = op["responses"]["200"]["content"]["application/json"]["schema"]
            shape, model = _response(schema)
            out.append(
                {
                    "name": name,
                    "operation_id": op["operationId"],
                    "feed": feed,
                    "path": path.replace("{format}", "json"),
                    "summary": op.get("summary", "").strip(),
                    "params": _order(params),
                    "shape": shape,
                    "model": model,
                    "data_type": _data_type(name),
                }
            )
    return out


_DT_SUFFIXES = ("Date", "DateTime", "Time", "Updated", "Created", "UTC")


def _kind(prop: dict[str, Any], dt_names: set[str], known: dict[str, str]) -> tuple[str, bool]:
    """(type, array) of one property."""
    if prop.get("type") == "array":
        items = prop["items"]
        if "$ref" in items:
            return items["$ref"].rsplit("/", 1)[1], True
        return _kind(items, dt_names, {})[0], True
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[1], False
    raw = prop["type"]
    base = next(k for k in raw if k != "null") if isinstance(raw, list) else raw
    return {"integer": "int", "number": "dec", "boolean": "bool", "string": "str"}[base], False


def models(specs: dict[str, dict[str, Any]], old: dict[str, Any]) -> dict[str, Any]:
    old_types = {
        (m, f["name"]): f["type"] for m, body in old["models"].items() for f in body["fields"]
    }
    dt_names = {f for (_, f), t in old_types.items() if t == "dt"}
    out: dict[str, Any] = {}
    for spec in specs.values():
        for model, schema in spec["components"]["schemas"].items():
            if model in out or "properties" not in schema:
                continue
            fields = []
            for field, prop in schema["properties"].items():
                kind, array = _kind(prop, dt_names, {})
                if kind == "str" and not array:
                    if (model, field) in old_types:
                        kind = old_types[(model, field)]
                    elif field in dt_names or (
                        field.endswith(_DT_SUFFIXES) and not field.endswith("String")
                    ):
                        kind = "dt"
                raw = prop.get("type")
                nullable = isinstance(raw, list) and "null" in raw
                fields.append({"name": field, "type": kind, "array": array, "nullable": nullable})
            source = old["models"].get(model, {}).get("source", "S4")
            out[model] = {"source": source, "fields": fields}
    # Models the specs lack but the service still serves (PlayerProp) stay as they were.
    for model, body in old["models"].items():
        out.setdefault(model, body)
    about = (
        "SportsDataIO NFL v3 response models, generated by tools/generate_api.py from the "
        "OpenAPI specs: JSON key, type (int, dec, str, bool, dt = Eastern wall-clock date-time "
        "string, or a model name for a nested object), array, nullable."
    )
    return {"about": about, "models": dict(sorted(out.items()))}


def schemas(specs: dict[str, dict[str, Any]], ops: list[dict[str, Any]]) -> dict[str, Any]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("description", "example")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    operations = {}
    for op in ops:
        spec = specs[op["feed"]]
        rest = op["path"].split("/json/", 1)[1]
        path, raw = next(
            (p, m["get"]) for p, m in spec["paths"].items() if p.split("/{format}/", 1)[1] == rest
        )
        body = raw["responses"]["200"]["content"]["application/json"]["schema"]
        # The spec's own path and operationId, so a test can check the registry against them.
        operations[op["name"]] = {
            "spec": op["feed"],
            "path": path.replace("{format}", "json"),
            "operation_id": raw.get("operationId"),
            "schema": strip(body),
        }
    components = {feed: strip(spec["components"]["schemas"]) for feed, spec in specs.items()}
    return {
        "source": "SportsDataIO NFL v3 OpenAPI 3.1 specs: every GET operation's 200 response "
        "schema and the components it references (descriptions dropped).",
        "operations": operations,
        "components": components,
    }


def _text(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if a != "--check"]
    check = "--check" in argv[1:]
    if len(args) != 1:
        print(__doc__)
        return 2
    spec_dir = Path(args[0])
    specs = {feed: yaml.safe_load((spec_dir / name).read_text()) for feed, name in SPECS.items()}
    ops = operations(specs)
    new_models = models(specs, json.loads(MODELS.read_text()))
    source = "SportsDataIO NFL v3 OpenAPI specs, via tools/generate_api.py"
    outputs = {
        OPERATIONS: _text({"source": source, "operations": ops}),
        MODELS: _text(new_models),
        SCHEMAS: _text(schemas(specs, ops)),
    }
    stale = [path for path, text in outputs.items() if path.read_text() != text]
    if check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text)
    print(f"{len(ops)} operations, {len(new_models['models'])} models")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
