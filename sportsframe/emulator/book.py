"""The sportsbooks: prices with a margin, game lines and player-prop lines set from the plan.

A book knows the plan (team strength, who is active, each player's role), never the result.
It prices a two-way market from its probability of each side plus its margin (about 4-5 %, a
little different at each book) and rounds the American odds to 5 cents, as books do.
Prop lines sit at the player's median stat, so overs hit about half the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from sportsframe.emulator.gamesim import CARRY_SHAPE, CARRY_SHIFT, CATCH_SHAPE, FORM_SPREAD
from sportsframe.emulator.plan import (
    DRIVES,
    MARGIN_SD,
    GamePlan,
    SidePlan,
    pass_volume,
    rush_volume,
)
from sportsframe.emulator.world import Player

__all__ = [
    "BOOKS",
    "CONSENSUS",
    "LISTED",
    "MARKETS",
    "TOTAL_SD",
    "Book",
    "GameQuote",
    "PropLine",
    "american",
    "decimal_odds",
    "game_quote",
    "half",
    "implied",
    "price",
    "prop_lines",
    "shifted",
]

TOTAL_SD = 13.0  # the spread of a game's total points around its expectation


@dataclass(frozen=True, slots=True)
class Book:
    """A sportsbook and the margin it builds into a two-way market."""

    book_id: int
    name: str
    margin: float


#: The market's consensus, as a feed without a book shows it (Score lines, generated props).
CONSENSUS = Book(0, "Consensus", 0.045)
BOOKS = (
    Book(7, "DraftKings", 0.046),
    Book(8, "FanDuel", 0.043),
    Book(19, "BetMGM", 0.050),
    Book(21, "Caesars", 0.048),
)

#: Markets by position, in the order a book lists them.
MARKETS = {
    "QB": ("Passing Yards", "Passing Touchdowns", "Passing Attempts", "Rushing Yards"),
    "RB": ("Rushing Yards", "Rushing Attempts", "Receptions"),
    "WR": ("Receiving Yards", "Receptions"),
    "TE": ("Receiving Yards", "Receptions"),
}
#: How many active players of each group get props (the starters a book lists).
LISTED = {"QB": 1, "RB": 2, "WR": 3, "TE": 1}


_NORMAL = NormalDist()


def _phi(x: float) -> float:
    return _NORMAL.cdf(x)


def american(probability: float) -> int:
    """American odds for an implied probability, rounded to 5 (0.5238 -> -110)."""
    p = min(max(probability, 0.02), 0.98)
    raw = -100 * p / (1 - p) if p >= 0.5 else 100 * (1 - p) / p
    odds = int(5 * round(raw / 5))
    if -100 < odds < 100:
        odds = -100 if p >= 0.5 else 100
    return odds


def implied(odds: int) -> float:
    """The implied probability of American odds (-110 -> 0.5238)."""
    return -odds / (-odds + 100) if odds < 0 else 100 / (odds + 100)


def decimal_odds(odds: int) -> float:
    """American odds as decimal odds (-110 -> 1.909)."""
    return round(1 + (100 / -odds if odds < 0 else odds / 100), 3)


def price(p_first: float, margin: float) -> tuple[int, int]:
    """American odds of a two-way market whose first side wins with ``p_first``.

    The margin is spread over both sides in proportion; rounding to 5 cents moves the overround
    by well under a point, so it stays near ``margin``.
    """
    p = min(max(p_first, 0.03), 0.97)
    first, second = american(p * (1 + margin)), american((1 - p) * (1 + margin))
    # Rounding both sides the same way could leave a market without its margin: keep 2-10 %.
    while implied(first) + implied(second) < 1.02:
        first = -105 if first == 100 else first - 5
    while implied(first) + implied(second) > 1.10:
        first = 100 if first == -100 else first + 5
    return first, second


def half(value: float) -> float:
    """The nearest half point (lines are quoted in halves)."""
    return round(value * 2) / 2


@dataclass(frozen=True, slots=True)
class GameQuote:
    """One book's game lines at one moment (home perspective)."""

    home_spread: float
    home_spread_payout: int
    away_spread_payout: int
    home_moneyline: int
    away_moneyline: int
    total: float
    over_payout: int
    under_payout: int


def game_quote(margin: float, total: float, spread: float, book: Book, shade: float) -> GameQuote:
    """A book's lines for an expected home margin and total, with ``spread`` the uncertainty."""
    sd = max(spread, 1.0)
    line = half(margin + shade)
    p_cover = 1 - _phi((line - margin) / sd)  # home wins by more than the line
    home_pay, away_pay = price(p_cover, book.margin)
    home_ml, away_ml = price(_phi(margin / sd), book.margin)
    total_line = max(half(total + shade), 0.5)
    over, under = price(1 - _phi((total_line - total) / (sd * TOTAL_SD / MARGIN_SD)), book.margin)
    return GameQuote(-line, home_pay, away_pay, home_ml, away_ml, total_line, over, under)


@dataclass(frozen=True, slots=True)
class PropLine:
    """A player market as a book sees it: the line and the chance the over hits."""

    player: Player
    market: str
    line: float
    p_over: float
    sd: float  # the stat's spread, so a book can price a line of its own


def _count_line(mean: float, var: float) -> tuple[float, float]:
    # A count stat: the .5 line whose over chance is nearest even (normal, continuity-corrected).
    sd = math.sqrt(max(var, 0.25))
    best = min(
        (k + 0.5 for k in range(max(int(mean) - 2, 0), int(mean) + 3)),
        key=lambda line: abs(0.5 - (1 - _phi((line - mean) / sd))),
    )
    return best, 1 - _phi((best - mean) / sd)


def _yards_line(mean: float, var: float, third: float) -> tuple[float, float, float]:
    # A skewed sum of yards: the median sits below the mean by about skew * sd / 6.
    var = max(var, 1.0)
    median = mean - third / (6 * var)
    line = math.floor(median) + 0.5
    sd = math.sqrt(var)
    return line, 1 - _phi((line - median) / sd), sd


def _binomial_line(n: int, q: float) -> tuple[float, float]:
    pmf = [math.comb(n, k) * q**k * (1 - q) ** (n - k) for k in range(n + 1)]
    best = min(range(n), key=lambda k: abs(0.5 - sum(pmf[k + 1 :])))
    return best + 0.5, sum(pmf[best + 1 :])


@dataclass(frozen=True, slots=True)
class _Volume:
    mean: float
    var: float


def _volumes(side: SidePlan, margin: float) -> tuple[_Volume, _Volume]:
    # The margin is unknown before the game: its spread widens the volume's spread.
    attempts = _Volume(pass_volume(side.lean, margin), 25 + (0.33 * MARGIN_SD) ** 2)
    carries = _Volume(rush_volume(side.lean, margin), 16 + (0.28 * MARGIN_SD) ** 2)
    return attempts, carries


def _compound(
    count: float, count_var: float, mean: float, second: float, third: float
) -> tuple[float, float, float]:
    """Mean, variance and third cumulant of a sum of ``count`` draws, form included."""
    expected = count * mean
    var = count * (second - mean**2) + count_var * mean**2
    form = FORM_SPREAD**2
    var = (var + expected**2) * (1 + form) - expected**2
    return expected, var, count * third


def _gamma_moments(shape: float, mean: float, shift: float = 0.0) -> tuple[float, float]:
    # Raw second and third moments of Gamma(shape, (mean + shift) / shape) - shift.
    theta = (mean + shift) / shape
    g1, g2 = shape * theta, shape * (shape + 1) * theta**2
    g3 = shape * (shape + 1) * (shape + 2) * theta**3
    second = g2 - 2 * shift * g1 + shift**2
    third = g3 - 3 * shift * g2 + 3 * shift**2 * g1 - shift**3
    return second, third


def _side_props(side: SidePlan, margin: float) -> list[PropLine]:
    attempts, carries = _volumes(side, margin)
    yards = side.defense_factor
    catches: dict[int, tuple[float, float, float, float]] = {}  # share*catch, mean, 2nd, 3rd
    for pid, share in side.targets.items():
        t = side.talent(pid)
        c = min(t.catch_rate * side.accuracy, 0.95)
        second, third = _gamma_moments(CATCH_SHAPE, t.per_catch * yards)
        catches[pid] = (share * c, t.per_catch * yards, second, third)
    out: list[PropLine] = []
    counts: dict[str, int] = {}
    for t in side.active:
        pos = t.player.position
        if pos not in MARKETS or counts.get(pos, 0) >= LISTED[pos]:
            continue
        counts[pos] = counts.get(pos, 0) + 1
        pid = t.player.player_id
        for market in MARKETS[pos]:
            if market == "Passing Yards":
                rate = sum(v[0] for v in catches.values())
                n_mean = attempts.mean * rate
                n_var = attempts.mean * rate * (1 - rate) + rate**2 * attempts.var
                mean = sum(v[0] * v[1] for v in catches.values()) / rate
                second = sum(v[0] * v[2] for v in catches.values()) / rate
                third = sum(v[0] * v[3] for v in catches.values()) / rate
                line, p, sd = _yards_line(*_compound(n_mean, n_var, mean, second, third))
            elif market == "Passing Attempts":
                line, p = _count_line(attempts.mean, attempts.var + 0.1)
                sd = math.sqrt(attempts.var)
            elif market == "Passing Touchdowns":
                line, p = _binomial_line(DRIVES, side.p_td * side.pass_td_share)
                sd = 1.0
            elif market in ("Receptions", "Receiving Yards"):
                share = side.targets.get(pid, 0.0)
                rate, per_catch, second, third = catches.get(pid, (0.0, 0.0, 0.0, 0.0))
                c = rate / share if share else 0.0
                t_var = attempts.mean * share * (1 - share) + share**2 * attempts.var
                n_mean = attempts.mean * rate
                n_var = attempts.mean * share * c * (1 - c) + c**2 * t_var
                if market == "Receptions":
                    line, p = _count_line(n_mean, n_var)
                    sd = math.sqrt(max(n_var, 0.25))
                else:
                    compound = _compound(n_mean, n_var, per_catch, second, third)
                    line, p, sd = _yards_line(*compound)
            else:  # rushing
                share = side.carries.get(pid, 0.0)
                c_mean = carries.mean * share
                c_var = carries.mean * share * (1 - share) + share**2 * carries.var
                if market == "Rushing Attempts":
                    line, p = _count_line(c_mean, c_var)
                    sd = math.sqrt(max(c_var, 0.25))
                else:
                    per_carry = t.per_carry * yards
                    second, third = _gamma_moments(CARRY_SHAPE, per_carry, CARRY_SHIFT)
                    line, p, sd = _yards_line(*_compound(c_mean, c_var, per_carry, second, third))
            out.append(PropLine(t.player, market, line, p, sd))
    return out


def prop_lines(plan: GamePlan) -> list[PropLine]:
    """Every player market a book lists for the game, away side first."""
    margin = plan.home_margin
    return _side_props(plan.away, -margin) + _side_props(plan.home, margin)


def shifted(prop: PropLine, offset: float) -> tuple[float, float]:
    """A book's own line ``offset`` from the consensus, and its over chance there."""
    line = max(prop.line + offset, 0.5)
    z = (line - prop.line) / max(prop.sd, 0.5)
    p_at_line = min(max(prop.p_over, 0.02), 0.98)
    # Move along the normal through the consensus point.
    base = _NORMAL.inv_cdf(1 - p_at_line)
    return line, 1 - _phi(base + z)
