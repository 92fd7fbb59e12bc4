"""The route table: every registry operation's path template and the league builder behind it.

Path segments are parsed here (a season with its type suffix, weeks, team keys, ids, dates in
either of the service's styles, counts, sportsbook groups); a segment that names nothing the
league knows (a bad number, an unknown team, game, player, market, slate or group) is an
:class:`UnknownPathError`, which the service answers with a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sportsframe.emulator.bettingviews import BettingViews, UnknownMarketError
from sportsframe.emulator.dfs import Dfs, UnknownSlateError
from sportsframe.emulator.fantasyfeeds import FantasyFeeds
from sportsframe.emulator.gamefeeds import GameFeeds, UnknownGameError
from sportsframe.emulator.oddsviews import OddsViews, UnknownGroupError
from sportsframe.emulator.payloads import Payloads
from sportsframe.emulator.people import People
from sportsframe.emulator.projections import Projections
from sportsframe.emulator.records import models
from sportsframe.emulator.timeframes import Timeframes
from sportsframe.emulator.trends import Trends
from sportsframe.emulator.world import Game
from sportsframe.league import TEAM_KEYS, TEAMS

__all__ = ["NOT_FOUND", "Feeds", "UnknownPathError", "handlers"]


class UnknownPathError(LookupError):
    """No such route or id (the service answers 404)."""


#: The lookups a builder raises for an id the league does not know (each a 404).
NOT_FOUND = (UnknownGameError, UnknownGroupError, UnknownMarketError, UnknownSlateError)


def season_of(text: str) -> tuple[int, str]:
    """``2024`` or ``2024REG`` / ``2024POST`` ... as (season, season type)."""
    upper = text.upper()
    for suffix in ("REG", "PRE", "POST"):
        if upper.endswith(suffix):
            upper, kind = upper[: -len(suffix)], suffix
            break
    else:
        kind = "REG"
    if len(upper) != 4 or not upper.isdigit():
        raise UnknownPathError(text)
    return int(upper), kind


def number(text: str) -> int:
    """A whole number segment."""
    if not text.isdigit():
        raise UnknownPathError(text)
    return int(text)


def team_of(text: str) -> str:
    """A team key segment (any case)."""
    key = text.upper()
    if key not in TEAM_KEYS:
        raise UnknownPathError(text)
    return key


def date_of(text: str) -> date:
    """A date in ISO (``2024-12-01``) or the service's month style (``2024-DEC-01``)."""
    for style in ("%Y-%m-%d", "%Y-%b-%d"):
        try:
            return datetime.strptime(text, style).date()
        except ValueError:
            continue
    raise UnknownPathError(text)


def games_of(text: str) -> str | int:
    """A game-count segment: ``all`` or a number."""
    return "all" if text.lower() == "all" else number(text)


def choice_of(text: str, choices: tuple[str, ...]) -> str:
    """A segment that must be one of ``choices`` (any case)."""
    if text.lower() not in choices:
        raise UnknownPathError(text)
    return text.lower()


class Feeds:
    """Every builder of one world's league, each reading the same :class:`Payloads`."""

    def __init__(self, payloads: Payloads) -> None:
        p = payloads
        self.p = p
        self.world = p.world
        self.projections = Projections(p.world, p.league, p.stats)
        self.fantasy = FantasyFeeds(p.world, p.league, p.stats, self.projections)
        self.games = GameFeeds(p)
        self.odds = OddsViews(p.world, p.league, p.betting, p.score)
        self.markets = BettingViews(p.world, p.league, p.betting)
        self.dfs = Dfs(p.world, self.projections, self.schedule)
        self.people = People(p, self.projections)
        self.clock = Timeframes(p.world)
        self.trends = Trends(p.world, p.league, p.score)

    def schedule(self, g: Game) -> dict[str, Any]:
        """The game's Schedule record (the Score record before its result)."""
        names = {f["name"] for f in models()["Schedule"]}
        return {k: v for k, v in self.p.score(g, result=False).items() if k in names}

    def game(self, text: str) -> Game:
        """The game a ScoreID segment names."""
        g = self.world.game(number(text))
        if g is None:
            raise UnknownPathError(text)
        return g

    def team_id(self, text: str) -> int:
        """A TeamID segment of a league team."""
        ident = number(text)
        if ident not in {t.team_id for t in TEAMS}:
            raise UnknownPathError(text)
        return ident

    def player_id(self, text: str) -> int:
        """A PlayerID segment of a rostered player."""
        pid = number(text)
        if pid not in self.world.players:
            raise UnknownPathError(text)
        return pid


def handlers(f: Feeds) -> dict[str, Callable[..., Any]]:
    """Every operation's builder by registry name; each takes the path's named segments
    (lower-cased: ``{eventId}`` arrives as ``eventid``)."""
    p, w, s = f.p, f.world, season_of
    n, t = number, team_of
    out: dict[str, Callable[..., Any]] = {
        # -- the operations wrapped first -----------------------------------------------------
        "teams": lambda season: p.teams(s(season)[0]),
        "stadiums": lambda: p.stadiums(),
        "current_season": lambda: w.current_season(),
        "current_week": lambda: w.current_week(),
        "byes": lambda season: p.byes(s(season)[0]),
        "schedules": lambda season: p.schedules(*s(season)),
        "standings": lambda season: p.standings(*s(season)),
        "players": lambda team: p.players(t(team)),
        "player": lambda playerid: p.player_detail(w.players[f.player_id(playerid)]),
        "news": lambda: p.news(),
        "news_by_team": lambda team: p.news(team=t(team)),
        "news_by_player": lambda playerid: p.news(player_id=n(playerid)),
        "depth_charts": lambda: p.depth_charts(),
        "scores": lambda season, week: p.scores(*s(season), n(week)),
        "team_season_stats": lambda season: p.stats.team_seasons(*s(season)),
        "team_game_stats": lambda season, week: p.stats.team_games(*s(season), n(week)),
        "injuries": lambda season, week: p.stats.injuries(*s(season), n(week)),
        "box_scores": lambda season, week: p.box_scores(*s(season), n(week)),
        "box_score": lambda scoreid: p.box_score(f.game(scoreid)),
        "player_game_stats": lambda season, week: p.stats.player_games(*s(season), n(week)),
        "player_season_stats": lambda season: p.stats.player_seasons(*s(season)),
        "play_by_play": lambda gameid: p.play_by_play(f.game(gameid)),
        "odds": lambda season, week: p.betting.odds(*s(season), n(week), live=False),
        "live_odds": lambda season, week: p.betting.odds(*s(season), n(week), live=True),
        "line_movement": lambda scoreid: p.betting.line_movement(f.game(scoreid)),
        "betting_events": lambda season: p.betting.betting_events(s(season)[0]),
        "betting_markets": lambda scoreid: p.betting.betting_markets(f.game(scoreid)),
        "player_props_game": lambda scoreid: p.betting.player_props(f.game(scoreid)),
        "generated_props": lambda season, week: p.betting.generated_props(*s(season), n(week)),
    }
    out.update(_scores(f))
    out.update(_stats(f))
    out.update(_odds(f))
    out.update(_projections(f))
    return out


def _scores(f: Feeds) -> dict[str, Callable[..., Any]]:
    g, c, pe, s, n, t = f.games, f.clock, f.people, season_of, number, team_of
    return {
        "games_in_progress": lambda: c.games_in_progress(),
        "active_teams": lambda: pe.teams(),
        "all_teams": lambda: pe.teams(),
        "teams_basic": lambda: pe.teams_basic(),
        "season_scores": lambda season: g.season_scores(*s(season), final=False),
        "last_completed_season": lambda: c.last_completed_season(),
        "last_completed_week": lambda: c.last_completed_week(),
        "upcoming_season": lambda: c.upcoming_season(),
        "upcoming_week": lambda: c.upcoming_week(),
        "timeframes": lambda type: c.timeframes(
            choice_of(type, ("current", "upcoming", "completed", "recent", "all"))
        ),
        "news_by_date": lambda date: pe.news_on(date_of(date)),
        "simulated_scores": lambda numberofplays: (n(numberofplays), g.simulated_scores())[1],
        "all_players": lambda: pe.players(),
        "free_agents": lambda: [],
        "rookies": lambda season: pe.rookies(s(season)[0]),
        "referees": lambda: pe.referees(),
        "scores_by_date": lambda date: g.scores_on(date_of(date), final=False),
        "team_game_logs": lambda season, teamid, numberofgames: g.team_log(
            *s(season), f.team_id(teamid), games_of(numberofgames)
        ),
        "schedules_basic": lambda season: g.schedules_basic(*s(season)),
        "scores_basic": lambda season, week: g.scores_basic(*s(season), n(week), final=False),
        "player_profiles_by_team": lambda team: pe.profiles(t(team)),
        "player_profiles": lambda: pe.profiles(),
        "free_agent_profiles": lambda: [],
        "rookie_profiles": lambda season: pe.rookies(s(season)[0], basic=True),
        "transactions": lambda date: pe.transactions(date_of(date)),
        "scores_final": lambda season, week: g.scores(*s(season), n(week), final=True),
        "scores_by_date_final": lambda date: g.scores_on(date_of(date), final=True),
        "scores_basic_final": lambda season, week: g.scores_basic(*s(season), n(week), final=True),
        "depth_charts_all": lambda: f.p.depth_charts(),
        "depth_charts_by_week": lambda season, week: pe.depth_charts_week(*s(season), n(week)),
        "injured_players": lambda: pe.injured(),
    }


def _stats(f: Feeds) -> dict[str, Callable[..., Any]]:
    g, fa, p, s, n, t = f.games, f.fantasy, f.p, season_of, number, team_of

    def one(records: list[Any], what: str) -> Any:
        """The single record of a by-team object answer (404 when there is none)."""
        if not records or records[0] is None:
            raise UnknownPathError(what)
        return records[0]

    return {
        "player_game_stats_delta": lambda minutes: g.current_delta(n(minutes)),
        "fantasy_defense_game_stats": lambda season, week: fa.defense_games(*s(season), n(week)),
        "fantasy_defense_season_stats": lambda season: fa.defense_seasons(*s(season)),
        "injuries_by_team": lambda season, week, team: [
            r for r in p.stats.injuries(*s(season), n(week)) if r["Team"] == t(team)
        ],
        "player_game_stats_by_team": lambda season, week, team: g.player_games(
            *s(season), n(week), team=t(team), final=False
        ),
        "player_game_stats_by_week_delta": lambda season, week, minutes: g.player_games_delta(
            *s(season), n(week), n(minutes)
        ),
        "player_season_stats_by_team": lambda season, team: [
            r for r in p.stats.player_seasons(*s(season)) if r["Team"] == t(team)
        ],
        "fantasy_defense_game_stats_by_team": lambda season, week, team: one(
            [fa.team_defense_game(*s(season), n(week), t(team))], team
        ),
        "fantasy_defense_season_stats_by_team": lambda season, team: one(
            fa.defense_seasons(*s(season), team=t(team)), team
        ),
        "player_season_red_zone_stats": lambda season: fa.season_split(*s(season), "red_zone"),
        "player_season_third_down_stats": lambda season: fa.season_split(*s(season), "third_down"),
        "box_scores_delta": lambda season, week, playerstoinclude, minutes: g.box_scores_delta(
            *s(season), n(week), choice_of(playerstoinclude, ("all", "fantasy", "idp")), n(minutes)
        ),
        "box_score_by_team": lambda season, week, hometeam: g.box_score_by_team(
            *s(season), n(week), t(hometeam), final=False
        ),
        "player_ownership": lambda season, week: fa.ownership(*s(season), n(week)),
        "player_game_red_zone_stats": lambda season, week: fa.game_split(
            *s(season), n(week), "red_zone"
        ),
        "pro_bowlers": lambda season: f.people.pro_bowlers(s(season)[0]),
        "simulated_box_scores": lambda numberofplays: (
            n(numberofplays),
            g.simulated_box_scores(),
        )[1],
        "player_game_red_zone_inside_ten_stats": lambda season, week: fa.game_split(
            *s(season), n(week), "inside_ten"
        ),
        "player_season_red_zone_inside_ten_stats": lambda season: fa.season_split(
            *s(season), "inside_ten"
        ),
        "player_game_red_zone_inside_five_stats": lambda season, week: fa.game_split(
            *s(season), n(week), "inside_five"
        ),
        "player_season_red_zone_inside_five_stats": lambda season: fa.season_split(
            *s(season), "inside_five"
        ),
        "player_game_logs": lambda season, playerid, numberofgames: g.player_log(
            *s(season), f.player_id(playerid), games_of(numberofgames)
        ),
        "box_score_final": lambda scoreid: _final(f, f.game(scoreid), p.box_score),
        "team_game_stats_final": lambda season, week: g.team_games_final(*s(season), n(week)),
        "player_game_stats_final": lambda season, week: g.player_games(
            *s(season), n(week), team=None, final=True
        ),
        "season_scores_final": lambda season: g.season_scores(*s(season), final=True),
        "player_game_stats_by_team_final": lambda season, week, team: g.player_games(
            *s(season), n(week), team=t(team), final=True
        ),
        "box_score_by_team_final": lambda season, week, hometeam: g.box_score_by_team(
            *s(season), n(week), t(hometeam), final=True
        ),
        "fantasy_game_stats": lambda season, week: fa.fantasy_games(*s(season), n(week)),
        "play_by_play_by_team": lambda season, week, hometeam: g.play_by_play_by_team(
            *s(season), n(week), t(hometeam), final=False
        ),
        "simulated_play_by_play": lambda numberofplays: (
            n(numberofplays),
            g.simulated_play_by_play(),
        )[1],
        "play_by_play_delta": lambda season, week, minutes: g.play_by_play_delta(
            *s(season), n(week), n(minutes)
        ),
        "play_by_play_final": lambda gameid: _final(f, f.game(gameid), p.play_by_play),
        "play_by_play_final_by_team": lambda season, week, hometeam: g.play_by_play_by_team(
            *s(season), n(week), t(hometeam), final=True
        ),
    }


def _final(f: Feeds, game: Game, build: Callable[[Game], Any]) -> Any:
    if not f.games.final(game):
        raise UnknownPathError(str(game.score_id))
    return build(game)


def _odds(f: Feeds) -> dict[str, Callable[..., Any]]:
    o, m, s, n, t = f.odds, f.markets, season_of, number, team_of
    return {
        "live_line_movement": lambda scoreid: o.live_movement(f.game(scoreid)),
        "alternate_odds": lambda season, week: o.alternate_odds(*s(season), n(week)),
        "alternate_line_movement": lambda scoreid: [o.alternate_game(f.game(scoreid))],
        "team_trends": lambda team: f.trends.team(t(team)),
        "matchup_trends": lambda team, opponent: f.trends.matchup(t(team), t(opponent)),
        "betting_events_by_date": lambda date: m.events_on(date_of(date)),
        "betting_futures": lambda season: m.futures(s(season)[0]),
        "betting_markets_by_event": lambda eventid: m.markets(n(eventid)),
        "betting_market": lambda marketid: m.market(n(marketid)),
        "betting_markets_by_market_type": lambda eventid, markettypeid: m.markets(
            n(eventid), n(markettypeid)
        ),
        "betting_metadata": lambda: m.metadata(),
        "sportsbooks": lambda: m.sportsbooks(),
        "betting_splits_by_game": lambda scoreid: m.game_split(n(scoreid)),
        "betting_splits_by_market": lambda marketid: m.market_split(n(marketid)),
        "betting_market_results": lambda marketid: m.result(n(marketid)),
        "odds_by_group": lambda season, week, sportsbookgroup: o.odds_by_group(
            *s(season), n(week), sportsbookgroup, live=False
        ),
        "line_movement_by_group": lambda scoreid, sportsbookgroup: o.movement_by_group(
            f.game(scoreid), sportsbookgroup, live=False
        ),
        "live_odds_by_group": lambda season, week, sportsbookgroup: o.odds_by_group(
            *s(season), n(week), sportsbookgroup, live=True
        ),
        "live_line_movement_by_group": lambda scoreid, sportsbookgroup: o.movement_by_group(
            f.game(scoreid), sportsbookgroup, live=True
        ),
        "player_props_game_by_group": lambda scoreid, sportsbookgroup: m.markets(
            f.game(scoreid).score_id, 2, sportsbookgroup
        ),
        "betting_markets_by_market_type_by_group": lambda eventid, markettypeid, sportsbookgroup: (
            m.markets(n(eventid), n(markettypeid), sportsbookgroup)
        ),
        "betting_markets_by_group": lambda gameid, sportsbookgroup: m.markets(
            f.game(gameid).score_id, None, sportsbookgroup
        ),
        "betting_markets_by_event_by_group": lambda eventid, sportsbookgroup: m.markets(
            n(eventid), None, sportsbookgroup
        ),
        "betting_market_by_group": lambda marketid, sportsbookgroup: m.market(
            n(marketid), sportsbookgroup
        ),
        "betting_market_results_by_group": lambda marketid, sportsbookgroup: m.result(
            n(marketid), sportsbookgroup
        ),
        "betting_futures_by_group": lambda season, sportsbookgroup: m.futures(
            s(season)[0], sportsbookgroup
        ),
        "line_movement_results_by_group": lambda scoreid, sportsbookgroup: o.resulted(
            f.game(scoreid), sportsbookgroup, live=False
        ),
        "live_line_movement_results_by_group": lambda scoreid, sportsbookgroup: o.resulted(
            f.game(scoreid), sportsbookgroup, live=True
        ),
    }


def _projections(f: Feeds) -> dict[str, Callable[..., Any]]:
    pr, d, s, n, t = f.projections, f.dfs, season_of, number, team_of
    return {
        "fantasy_defense_season_projections": lambda season: pr.defense_seasons(*s(season)),
        "fantasy_defense_game_projections": lambda season, week: pr.defense_games(
            *s(season), n(week)
        ),
        "player_game_projections_by_team": lambda season, week, team: pr.player_games(
            *s(season), n(week), team=t(team)
        ),
        "player_season_projections": lambda season: pr.player_seasons(*s(season)),
        "player_season_projections_by_team": lambda season, team: pr.player_seasons(
            *s(season), team=t(team)
        ),
        "player_game_projections": lambda season, week: pr.player_games(*s(season), n(week)),
        "dfs_slates_by_date": lambda date: d.slates_on(date_of(date)),
        "dfs_slates": lambda season, week: d.slates(*s(season), n(week)),
        "idp_player_game_projections": lambda season, week: pr.player_games(
            *s(season), n(week), idp=True
        ),
        "idp_player_game_projections_by_team": lambda season, week, team: pr.player_games(
            *s(season), n(week), team=t(team), idp=True
        ),
        "upcoming_dfs_slate_ownership": lambda: d.upcoming_ownership(),
        "dfs_slate_ownership": lambda slateid: d.slate_ownership(n(slateid)),
        "injured_players": lambda: f.people.injured(),
    }
