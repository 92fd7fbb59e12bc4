"""The dataset table: every public dataset function, its operations and the filters selecting them.

The first variant of a row is the operation used when no filter is set (what the function read
before it had filters); each further variant is chosen by exactly the filters it lists. The
variants of a row share their response model, so the dataset has one frame schema.
"""

from __future__ import annotations

from sportsframe.registry.dataset import Dataset, Filter, Variant

__all__ = ["ROWS"]

_TEAM = Filter("team", "value", 'one team\'s records (a team key such as "KC").')
_FINAL = Filter("final", "flag", "final games only (the game's numbers no longer change).")
_GROUP = Filter(
    "sportsbook_group", "value", 'one sportsbook group\'s lines (e.g. "G1100"), not every book.'
)
_INSIDE = Filter(
    "inside", "choice", "inside the 10 or the 5 yard line (None: the whole red zone).", (10, 5)
)


def _v(endpoint: str, *filters: str, **renames: str) -> Variant:
    return Variant(endpoint, frozenset(filters), renames)


def _one(name: str, summary: str, endpoint: str | None = None) -> Dataset:
    """A dataset read from one operation (by default the one of the same name)."""
    return Dataset(name, (_v(endpoint or name),), summary)


def _final(name: str, summary: str, final: str | None = None) -> Dataset:
    """A dataset with a ``final=True`` operation beside the live one."""
    return Dataset(name, (_v(name), _v(final or f"{name}_final", "final")), summary, (_FINAL,))


def _by_team(name: str, summary: str, by_team: str | None = None) -> Dataset:
    """A dataset with a ``team=`` operation beside the league-wide one."""
    return Dataset(name, (_v(name), _v(by_team or f"{name}_by_team", "team")), summary, (_TEAM,))


def _by_group(name: str, summary: str, by_group: str | None = None, **renames: str) -> Dataset:
    """A dataset with a ``sportsbook_group=`` operation beside the every-book one."""
    variants = (_v(name), _v(by_group or f"{name}_by_group", "sportsbook_group", **renames))
    return Dataset(name, variants, summary, (_GROUP,))


ROWS: tuple[Dataset, ...] = (
    # -- betting -------------------------------------------------------------------------------
    _one("props", "Sportsbook player props, one row per outcome.", "player_props"),
    _one(
        "game_props",
        "Sportsbook player props of one game, one row per outcome.",
        "player_props_game",
    ),
    _one(
        "game_props_by_group",
        "One sportsbook group's player props of a game, one row per outcome.",
        "player_props_game_by_group",
    ),
    _one("generated_props", "Legacy generated player props."),
    _by_group("odds", "Pre-game odds, one row per game and sportsbook."),
    _by_group("live_odds", "In-game odds, one row per game and sportsbook."),
    _one("alternate_odds", "Alternate-market pre-game odds of a week."),
    _by_group("line_movement", "Odds history of a game."),
    _by_group("live_line_movement", "In-game odds history of a game."),
    _one("alternate_line_movement", "Alternate-market odds history of a game."),
    _one(
        "line_movement_results",
        "Pre-game odds history of a game with each line's result.",
        "line_movement_results_by_group",
    ),
    _one(
        "live_line_movement_results",
        "In-game odds history of a game with each line's result.",
        "live_line_movement_results_by_group",
    ),
    _one("betting_events", "Betting events of a season."),
    _one("betting_events_by_date", "Betting events of a day."),
    _by_group("betting_futures", "Futures markets of a season."),
    _by_group(
        "betting_markets",
        "Every betting market of a game.",
        "betting_markets_by_group",
        score_id="game_id",
    ),
    _by_group(
        "betting_markets_by_event",
        "Every betting market of a betting event.",
        "betting_markets_by_event_by_group",
    ),
    _by_group(
        "betting_markets_by_market_type",
        "The betting markets of one market type of a betting event.",
    ),
    _by_group("betting_market", "One betting market."),
    _by_group("betting_market_results", "The results of a betting market's outcomes."),
    _one("betting_splits_by_game", "Bet and money percentages of a game's markets."),
    _one("betting_splits_by_market", "Bet and money percentages of one market."),
    _one("betting_metadata", "The betting ids and names (market, bet, outcome types ...)."),
    _one("sportsbooks", "The active sportsbooks."),
    _one("team_trends", "A team's betting trends."),
    _one("matchup_trends", "The betting trends of a matchup of two teams."),
    # -- scores and schedules --------------------------------------------------------------------
    _final("scores", "Games of the week, live and final."),
    _final("season_scores", "Every game of a season, live and final."),
    _final("scores_by_date", "Games of a day, live and final."),
    _final("scores_basic", "Games of the week, the essentials only."),
    _one("schedules", "The season's schedule."),
    _one("schedules_basic", "The season's schedule, the essentials only."),
    _one("standings", "Standings."),
    _one("byes", "Bye weeks."),
    _one("timeframes", "Seasons and weeks of the calendar (current, upcoming, completed ...)."),
    _one("simulated_scores", "Scores of a simulated replay, after a number of plays."),
    # -- stats ----------------------------------------------------------------------------------
    _one("box_scores", "Box scores of the week's final games."),
    _final("box_score", "One game's box score."),
    _final("box_score_by_team", "The box score of a team's game of a week."),
    _one("box_scores_delta", "Box scores changed in the last minutes, of a week."),
    _one("simulated_box_scores", "Box scores of a simulated replay, after a number of plays."),
    Dataset(
        "player_game_stats",
        (
            _v("player_game_stats"),
            _v("player_game_stats_final", "final"),
            _v("player_game_stats_by_team", "team"),
            _v("player_game_stats_by_team_final", "team", "final"),
        ),
        "Player stat lines per game.",
        (_TEAM, _FINAL),
    ),
    Dataset(
        "player_game_stats_delta",
        (_v("player_game_stats_delta"), _v("player_game_stats_by_week_delta", "season", "week")),
        "Player stat lines changed in the last minutes (of one week with season= and week=).",
        (
            Filter("season", "value", "with week: one week's changes only."),
            Filter("week", "value", "with season: one week's changes only."),
        ),
    ),
    _one("player_game_logs", "A player's game logs of a season."),
    _final("team_game_stats", "Team stat lines per game."),
    _one("team_game_logs", "A team's game logs of a season."),
    _by_team("player_season_stats", "Player season totals."),
    _one("team_season_stats", "Team season totals."),
    _by_team("fantasy_defense_game_stats", "Fantasy defense stat lines per game."),
    _by_team("fantasy_defense_season_stats", "Fantasy defense season totals."),
    _one("fantasy_game_stats", "Fantasy points per player and game."),
    Dataset(
        "player_game_red_zone_stats",
        (
            _v("player_game_red_zone_stats"),
            _v("player_game_red_zone_inside_ten_stats", "inside=10"),
            _v("player_game_red_zone_inside_five_stats", "inside=5"),
        ),
        "Player red-zone stat lines per game.",
        (_INSIDE,),
    ),
    Dataset(
        "player_season_red_zone_stats",
        (
            _v("player_season_red_zone_stats"),
            _v("player_season_red_zone_inside_ten_stats", "inside=10"),
            _v("player_season_red_zone_inside_five_stats", "inside=5"),
        ),
        "Player red-zone season totals.",
        (_INSIDE,),
    ),
    _one("player_season_third_down_stats", "Player third-down season totals."),
    _one("player_ownership", "Fantasy ownership percentages of a week."),
    _one("pro_bowlers", "The Pro Bowl players of a season."),
    # -- play-by-play ----------------------------------------------------------------------------
    _final("play_by_play", "Every play of a game."),
    _final(
        "play_by_play_by_team",
        "Every play of a team's game of a week.",
        "play_by_play_final_by_team",
    ),
    _one("play_by_play_delta", "Plays changed in the last minutes, of a week."),
    _one("simulated_play_by_play", "Plays of a simulated replay, up to a number of plays."),
    # -- projections and DFS ---------------------------------------------------------------------
    Dataset(
        "player_game_projections",
        (
            _v("player_game_projections"),
            _v("player_game_projections_by_team", "team"),
            _v("idp_player_game_projections", "idp"),
            _v("idp_player_game_projections_by_team", "team", "idp"),
        ),
        "Projected player stat lines per game.",
        (_TEAM, Filter("idp", "flag", "individual defensive players' projections.")),
    ),
    _by_team("player_season_projections", "Projected player season totals."),
    _one("fantasy_defense_game_projections", "Projected fantasy defense stat lines per game."),
    _one("fantasy_defense_season_projections", "Projected fantasy defense season totals."),
    _one("dfs_slates", "Daily fantasy slates of a week."),
    _one("dfs_slates_by_date", "Daily fantasy slates of a day."),
    _one("dfs_slate_ownership", "Projected ownership of a daily fantasy slate."),
    _one("upcoming_dfs_slate_ownership", "Projected ownership of the upcoming slates."),
    # -- teams, players, news --------------------------------------------------------------------
    _one("teams", "Teams of a season."),
    _one("active_teams", "The active teams."),
    _one("all_teams", "Every team, active or not."),
    _one("teams_basic", "The active teams, the essentials only."),
    _one("players", "A team's roster."),
    _one("player", "One player's details (a one-row frame)."),
    _one("all_players", "Every available player."),
    _one("free_agents", "The free agents."),
    _one("rookies", "The rookies of a draft year."),
    _by_team("injuries", "The injury report, one row per player."),
    _one("injured_players", "The players currently injured."),
    Dataset(
        "player_profiles",
        (
            _v("player_profiles"),
            _v("player_profiles_by_team", "team"),
            _v("free_agent_profiles", "free_agents"),
            _v("rookie_profiles", "rookie_year", rookie_year="season"),
        ),
        "Player profiles, the essentials only.",
        (
            _TEAM,
            Filter("free_agents", "flag", "free agents only."),
            Filter("rookie_year", "value", "the rookies of a draft year only."),
        ),
    ),
    _one("referees", "Every referee."),
    _one("stadiums", "Every stadium."),
    Dataset(
        "news",
        (_v("news"), _v("news_by_date", "date")),
        "The latest news (a day's news with date=).",
        (Filter("date", "value", 'one day\'s news (a date or "YYYY-MM-DD").'),),
    ),
    _one("news_by_team", "Latest news of a team."),
    _one("news_by_player", "Latest news of a player."),
    _one("transactions", "Roster transactions of a day."),
    Dataset(
        "depth_charts",
        (_v("depth_charts"), _v("depth_charts_all", "include_inactive")),
        "Every team's depth chart.",
        (Filter("include_inactive", "flag", "every depth chart, not only the active teams'."),),
    ),
    _one("depth_charts_by_week", "Every team's depth chart of a week."),
)
