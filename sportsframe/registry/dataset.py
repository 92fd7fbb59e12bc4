"""A dataset of the facade: a public function, the operations behind it and its filters.

See :mod:`.datasets` for how a call picks its operation and expands into bound calls, and
:mod:`.dataset_table` for the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sportsframe.registry.endpoint import Endpoint
from sportsframe.registry.nfl import ENDPOINTS
from sportsframe.registry.params import Param

__all__ = ["Dataset", "Filter", "FilterKind", "Variant"]

#: A flag filter is set by True; a value filter by any value (passed on to the operation); a
#: choice filter by one of its choices (which operation answers depends on the value).
FilterKind = Literal["flag", "value", "choice"]


@dataclass(frozen=True, slots=True)
class Filter:
    """A keyword filter of a dataset function; left at its default it selects nothing."""

    name: str
    kind: FilterKind
    doc: str
    choices: tuple[Any, ...] = ()

    @property
    def default(self) -> Any:
        """The value that leaves the filter unset: False for a flag, else None."""
        return False if self.kind == "flag" else None


@dataclass(frozen=True, slots=True)
class Variant:
    """One operation behind a dataset and the filters that select it.

    ``filters`` holds a token per filter the caller set: the filter's name (``team``, ``final``),
    or ``name=value`` for a choice filter (``inside=10``). ``renames`` maps a dataset argument to
    the operation's parameter where the names differ (a GameID is the ScoreID in the NFL).
    """

    endpoint_name: str
    filters: frozenset[str] = frozenset()
    renames: Mapping[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> Endpoint:
        """The registry row of the operation."""
        return ENDPOINTS[self.endpoint_name]

    def param_name(self, argument: str) -> str:
        """The operation's parameter that receives the dataset argument ``argument``."""
        return self.renames.get(argument, argument)


@dataclass(frozen=True, slots=True)
class Dataset:
    """A public dataset function and the registry operations behind it."""

    name: str
    variants: tuple[Variant, ...]
    summary: str
    filters: tuple[Filter, ...] = ()
    #: The arguments taken positionally (each a value or a list of them), in order.
    positional: tuple[str, ...] = field(init=False)
    #: The optional operation parameters the function takes by keyword (``season_type``,
    #: ``include_alternate``, ``games`` ...): every variant's, first seen first.
    options: tuple[Param, ...] = field(init=False)

    def __post_init__(self) -> None:
        # Read on every call, L0 hits included: worked out once, not per call.
        object.__setattr__(self, "positional", self._positional())
        object.__setattr__(self, "options", self._options())

    @property
    def primary(self) -> Variant:
        """The variant with no filter set: what a call without filters reads, and whose frame
        schema every variant shares."""
        return self.variants[0]

    @property
    def endpoint_name(self) -> str:
        """The operation whose frame schema the dataset's frames have (every variant's model)."""
        return self.primary.endpoint_name

    @property
    def endpoint(self) -> Endpoint:
        """The registry row of the primary operation."""
        return self.primary.endpoint

    @property
    def endpoint_names(self) -> tuple[str, ...]:
        """Every operation behind the dataset, the primary first."""
        return tuple(v.endpoint_name for v in self.variants)

    def _positional(self) -> tuple[str, ...]:
        filters = {f.name for f in self.filters}
        variant = self.primary
        inverse = {v: k for k, v in variant.renames.items()}
        return tuple(
            inverse.get(p.name, p.name)
            for p in variant.endpoint.params
            if p.required and inverse.get(p.name, p.name) not in filters
        )

    def _options(self) -> tuple[Param, ...]:
        filters = {f.name for f in self.filters}
        seen: dict[str, Param] = {}
        for variant in self.variants:
            for p in variant.endpoint.params:
                if not p.required and p.name not in filters:
                    seen.setdefault(p.name, p)
        return tuple(seen.values())

    @property
    def kind(self) -> str:
        """What the function takes, in a word: ``week`` (a season and weeks), ``season``,
        ``team``, ``player``, ``game``, ``none``, or the positional names joined by ``+``."""
        return _KINDS.get(self.positional, "+".join(self.positional))

    @property
    def week_optional(self) -> bool:
        """True when ``week`` is the last positional argument: left out, it means every week
        with data so far."""
        return self.positional[-1:] == ("week",)


_KINDS = {
    ("season", "week"): "week",
    ("season",): "season",
    ("team",): "team",
    ("player_id",): "player",
    ("score_id",): "game",
    ("game_id",): "game",
    (): "none",
}
