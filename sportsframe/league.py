"""The NFL league table: team keys, ids, names, conferences and divisions.

Used to validate ``team`` arguments and by the emulator to build its league. Historical keys of
relocated franchises (OAK, SD, STL) are accepted as arguments but have no current team.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HISTORICAL_KEYS", "TEAMS", "TEAM_KEYS", "Team", "is_team_key"]


@dataclass(frozen=True, slots=True)
class Team:
    """One franchise as SportsDataIO names it."""

    key: str
    team_id: int
    city: str
    name: str
    conference: str
    division: str

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


TEAMS: tuple[Team, ...] = (
    Team("ARI", 1, "Arizona", "Cardinals", "NFC", "West"),
    Team("ATL", 2, "Atlanta", "Falcons", "NFC", "South"),
    Team("BAL", 3, "Baltimore", "Ravens", "AFC", "North"),
    Team("BUF", 4, "Buffalo", "Bills", "AFC", "East"),
    Team("CAR", 5, "Carolina", "Panthers", "NFC", "South"),
    Team("CHI", 6, "Chicago", "Bears", "NFC", "North"),
    Team("CIN", 7, "Cincinnati", "Bengals", "AFC", "North"),
    Team("CLE", 8, "Cleveland", "Browns", "AFC", "North"),
    Team("DAL", 9, "Dallas", "Cowboys", "NFC", "East"),
    Team("DEN", 10, "Denver", "Broncos", "AFC", "West"),
    Team("DET", 11, "Detroit", "Lions", "NFC", "North"),
    Team("GB", 12, "Green Bay", "Packers", "NFC", "North"),
    Team("HOU", 13, "Houston", "Texans", "AFC", "South"),
    Team("IND", 14, "Indianapolis", "Colts", "AFC", "South"),
    Team("JAX", 15, "Jacksonville", "Jaguars", "AFC", "South"),
    Team("KC", 16, "Kansas City", "Chiefs", "AFC", "West"),
    Team("LAR", 32, "Los Angeles", "Rams", "NFC", "West"),
    Team("LAC", 29, "Los Angeles", "Chargers", "AFC", "West"),
    Team("LV", 25, "Las Vegas", "Raiders", "AFC", "West"),
    Team("MIA", 19, "Miami", "Dolphins", "AFC", "East"),
    Team("MIN", 20, "Minnesota", "Vikings", "NFC", "North"),
    Team("NE", 21, "New England", "Patriots", "AFC", "East"),
    Team("NO", 22, "New Orleans", "Saints", "NFC", "South"),
    Team("NYG", 23, "New York", "Giants", "NFC", "East"),
    Team("NYJ", 24, "New York", "Jets", "AFC", "East"),
    Team("PHI", 26, "Philadelphia", "Eagles", "NFC", "East"),
    Team("PIT", 28, "Pittsburgh", "Steelers", "AFC", "North"),
    Team("SEA", 30, "Seattle", "Seahawks", "NFC", "West"),
    Team("SF", 31, "San Francisco", "49ers", "NFC", "West"),
    Team("TB", 33, "Tampa Bay", "Buccaneers", "NFC", "South"),
    Team("TEN", 34, "Tennessee", "Titans", "AFC", "South"),
    Team("WAS", 35, "Washington", "Commanders", "NFC", "East"),
)

HISTORICAL_KEYS: frozenset[str] = frozenset({"OAK", "SD", "STL"})
TEAM_KEYS: frozenset[str] = frozenset(t.key for t in TEAMS)


def is_team_key(key: str) -> bool:
    """True for a current team key or a historical one (OAK, SD, STL)."""
    return key in TEAM_KEYS or key in HISTORICAL_KEYS
