"""The cache efficiency report: what the warm tier holds per data type and the API calls it saved.

>>> import sportsframe as sf
>>> report = sf.efficiency()                # doctest: +SKIP
>>> report.frame.loc["player_props", "api_calls_saved"]   # doctest: +SKIP
42
>>> report.plot()                           # doctest: +SKIP
>>> report.to_html("efficiency.html")       # doctest: +SKIP

Built from one SQL statement over ``cache_entries`` (the cache spec's
``analyze_cache_efficiency`` query, extended; see
:meth:`~sportsframe.cache.sql.tier.SqlTier.efficiency_report`). A hit is an API call saved: every
hot or warm hit of a key is counted in its ``hit_count`` (repeats a process answers from its own
L0 frame cache are not).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from sportsframe.cache.sql.report import TypeEfficiency

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["COLUMNS", "EfficiencyReport"]

#: The columns of :attr:`EfficiencyReport.frame`, in order (indexed by ``data_type``).
COLUMNS: Final = (
    "entries",
    "live",
    "expired",
    "avg_hits",
    "total_hits",
    "last_hit",
    "payload_bytes",
    "arrow_bytes",
    "frame_bytes",
    "stored_bytes",
    "api_calls_saved",
    "quota_share",
)
_COUNTS: Final = (
    "entries",
    "live",
    "expired",
    "total_hits",
    "payload_bytes",
    "arrow_bytes",
    "frame_bytes",
    "stored_bytes",
    "api_calls_saved",
)
#: The text and HTML table: heading, and whether the column is right-aligned.
_HEADINGS: Final = (
    ("data_type", False),
    ("entries", True),
    ("live", True),
    ("expired", True),
    ("avg hits", True),
    ("hits", True),
    ("% quota", True),
    ("stored", True),
    ("last hit (UTC)", False),
)
_LIVE, _EXPIRED, _SAVED = "#2b6cb0", "#a0aec0", "#dd6b20"


@dataclass(frozen=True, repr=False)
class EfficiencyReport:
    """What the warm tier holds per data type, and the API calls its hits saved.

    Attributes:
        frame: one row per data type (the index, ``data_type``), sorted. Columns: ``entries``,
            ``live`` and ``expired`` (at ``generated_at``), ``avg_hits`` and ``total_hits``
            (``hit_count``), ``last_hit`` (UTC, NaT if never hit), ``payload_bytes`` (the JSON
            payloads), ``arrow_bytes`` (their Arrow copies), ``frame_bytes`` (the stored
            finished frames), ``stored_bytes`` (the three together), ``api_calls_saved`` (the
            hits) and ``quota_share`` (``api_calls_saved`` over ``monthly_quota``; NaN for a
            zero quota).
        generated_at: the moment expiry was judged at (the session's clock).
        monthly_quota: the API requests allowed per month (``settings.monthly_quota``).
    """

    frame: pd.DataFrame
    generated_at: datetime
    monthly_quota: int

    @classmethod
    def from_rows(
        cls, rows: Iterable[Any], *, generated_at: datetime, monthly_quota: int
    ) -> EfficiencyReport:
        """The report of the warm tier's rows
        (:class:`~sportsframe.cache.sql.report.TypeEfficiency`, or tuples in its order)."""
        raw = pd.DataFrame.from_records(
            [tuple(row) for row in rows], columns=list(TypeEfficiency._fields)
        )
        frame = raw.set_index("data_type").sort_index()
        frame["stored_bytes"] = frame["payload_bytes"] + frame["arrow_bytes"] + frame["frame_bytes"]
        frame["api_calls_saved"] = frame["total_hits"]
        frame = frame.astype(dict.fromkeys(_COUNTS, "int64") | {"avg_hits": "float64"})
        frame["last_hit"] = pd.to_datetime(frame["last_hit"], utc=True)
        frame["quota_share"] = _share(frame["api_calls_saved"], monthly_quota)
        return cls(frame[list(COLUMNS)], generated_at, monthly_quota)

    # -- numbers -----------------------------------------------------------------------------
    @property
    def totals(self) -> pd.Series:
        """The columns of :attr:`frame` over every data type (``avg_hits`` per entry)."""
        f = self.frame
        out: dict[str, Any] = {c: int(f[c].sum()) for c in _COUNTS}
        entries = out["entries"]
        out["avg_hits"] = out["total_hits"] / entries if entries else 0.0
        out["last_hit"] = f["last_hit"].max() if f["last_hit"].notna().any() else pd.NaT
        out["quota_share"] = _share(out["api_calls_saved"], self.monthly_quota)
        return pd.Series({c: out[c] for c in COLUMNS}, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values: ``generated_at``, ``monthly_quota``,
        ``data_types`` (one dict per row, with ``data_type``) and ``totals``."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "monthly_quota": self.monthly_quota,
            "data_types": [
                {"data_type": name, **_plain(row)} for name, row in self.frame.iterrows()
            ],
            "totals": _plain(self.totals),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON (``kwargs`` go to :func:`json.dumps`, e.g. ``indent``)."""
        return json.dumps(self.to_dict(), **kwargs)

    # -- text ------------------------------------------------------------------------------
    def summary(self) -> str:
        """One sentence: the API calls saved, their share of the quota, the entries."""
        t = self.totals
        share = "" if math.isnan(t["quota_share"]) else f" ({_percent(t['quota_share'])} of"
        quota = f" the {self.monthly_quota:,}-request monthly quota)" if share else ""
        return (
            f"{t['api_calls_saved']:,} API calls saved{share}{quota}; "
            f"{t['entries']:,} entries ({t['live']:,} live, {t['expired']:,} expired), "
            f"{_size(t['stored_bytes'])} stored; as of {_when(self.generated_at)} UTC"
        )

    def to_text(self) -> str:
        """The report as a fixed-width table (a row per data type, a total row) and the
        summary: what ``sportsframe report`` prints."""
        body = self._cells()
        if not body:
            return f"no entries in the warm tier; as of {_when(self.generated_at)} UTC"
        total = self._cells_of("total", self.totals)
        rows = [[h for h, _ in _HEADINGS], *body, total]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADINGS))]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(
                c.rjust(w) if right else c.ljust(w)
                for c, w, (_, right) in zip(cells, widths, _HEADINGS, strict=True)
            ).rstrip()

        rule = "-" * len(line(rows[0]))
        return "\n".join(
            [line(rows[0]), *(line(r) for r in body), rule, line(total), "", self.summary()]
        )

    def __repr__(self) -> str:
        return self.to_text()

    def _cells(self) -> list[list[str]]:
        return [self._cells_of(str(name), row) for name, row in self.frame.iterrows()]

    @staticmethod
    def _cells_of(name: str, row: pd.Series) -> list[str]:
        return [
            name,
            f"{row['entries']:,}",
            f"{row['live']:,}",
            f"{row['expired']:,}",
            f"{row['avg_hits']:.1f}",
            f"{row['api_calls_saved']:,}",
            "-" if math.isnan(row["quota_share"]) else _percent(row["quota_share"]),
            _size(row["stored_bytes"]),
            "-" if pd.isna(row["last_hit"]) else _when(row["last_hit"]),
        ]

    # -- chart -------------------------------------------------------------------------------
    def plot(self, ax: Axes | None = None) -> Figure:
        """A bar chart per data type: entries (live and expired, stacked) beside the API calls
        saved, each labelled; the title gives the total saved and its share of the quota.

        Args:
            ax: the Axes to draw on; default: a new Figure (made without pyplot, so it works
                headless and is never shown by itself).

        Returns:
            The Figure drawn on (``ax.figure`` when ``ax`` is given).
        """
        if ax is None:
            from sportsframe.figure import ChartFigure  # shows itself in Jupyter as a PNG

            height = 1.6 + 0.75 * max(len(self.frame), 1)
            fig = ChartFigure(figsize=(9, height), layout="constrained")
            ax = fig.add_subplot()
        f = self.frame
        names = [str(n) for n in f.index][::-1]  # first data type at the top
        rows = f.loc[names] if names else f
        y = list(range(len(names)))
        up = [i + 0.2 for i in y]
        down = [i - 0.2 for i in y]
        ax.barh(up, rows["live"], height=0.38, color=_LIVE, label="live entries")
        ax.barh(
            up,
            rows["expired"],
            height=0.38,
            left=rows["live"],
            color=_EXPIRED,
            label="expired entries",
        )
        saved = ax.barh(
            down, rows["api_calls_saved"], height=0.38, color=_SAVED, label="API calls saved"
        )
        ax.bar_label(
            saved,
            labels=[
                f"{n:,}" + ("" if math.isnan(s) else f" ({_percent(s)} of quota)")
                for n, s in zip(rows["api_calls_saved"], rows["quota_share"], strict=True)
            ],
            padding=3,
            fontsize=8,
        )
        for i, (live, expired) in enumerate(zip(rows["live"], rows["expired"], strict=True)):
            ax.annotate(
                f"{live:,} live, {expired:,} expired",
                (live + expired, up[i]),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        if not names:
            ax.text(0.5, 0.5, "no entries in the warm tier", ha="center", transform=ax.transAxes)
        ax.set_yticks(y, names)
        ax.set_xlabel("count")
        # Room for the labels (the stacked bars' sticky edges would defeat ax.margins).
        widest = max([*(rows["live"] + rows["expired"]), *rows["api_calls_saved"], 1])
        ax.set_xlim(0, widest * 1.35)
        t = self.totals
        share = "" if math.isnan(t["quota_share"]) else f" ({_percent(t['quota_share'])} of quota)"
        ax.set_title(f"Cache efficiency: {t['api_calls_saved']:,} API calls saved{share}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=8)
        return ax.figure  # type: ignore[return-value]

    def to_png(self, path: str | Path | None = None, *, dpi: int = 120) -> bytes:
        """The chart of :meth:`plot` as PNG bytes, also written to ``path`` if given."""
        buffer = io.BytesIO()
        self.plot().savefig(buffer, format="png", dpi=dpi)
        data = buffer.getvalue()
        if path is not None:
            Path(path).write_bytes(data)
        return data

    # -- HTML --------------------------------------------------------------------------------
    def _html_body(self) -> str:
        heads = "".join(
            f'<th style="text-align:{"right" if right else "left"}">{html.escape(h)}</th>'
            for h, right in _HEADINGS
        )

        def tr(cells: Sequence[str], tag: str = "td") -> str:
            return (
                "<tr>"
                + "".join(
                    f'<{tag} style="text-align:{"right" if right else "left"}">'
                    f"{html.escape(c)}</{tag}>"
                    for c, (_, right) in zip(cells, _HEADINGS, strict=True)
                )
                + "</tr>"
            )

        body = "".join(tr(r) for r in self._cells())
        foot = tr(self._cells_of("total", self.totals), "th") if body else ""
        image = base64.b64encode(self.to_png()).decode("ascii")
        return (
            f"<p>{html.escape(self.summary())}</p>"
            f'<table class="sportsframe-efficiency"><thead><tr>{heads}</tr></thead>'
            f"<tbody>{body}</tbody><tfoot>{foot}</tfoot></table>"
            f'<p><img alt="cache efficiency chart" src="data:image/png;base64,{image}"></p>'
        )

    def _repr_html_(self) -> str:
        return f"<div><strong>sportsframe cache efficiency</strong>{self._html_body()}</div>"

    def to_html(self, path: str | Path | None = None) -> str:
        """A standalone HTML page: the summary, the table and the chart (PNG, embedded), also
        written to ``path`` if given."""
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>sportsframe cache efficiency</title><style>"
            "body{font-family:system-ui,sans-serif;margin:2em;color:#1a202c}"
            "table{border-collapse:collapse}"
            "th,td{padding:.3em .8em;border-bottom:1px solid #e2e8f0}"
            "tfoot th{border-top:2px solid #4a5568}img{max-width:100%}"
            "</style></head><body><h1>Cache efficiency</h1>"
            f"{self._html_body()}</body></html>\n"
        )
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page


def _share(saved: Any, quota: int) -> Any:
    """``saved`` over the monthly quota (NaN for a zero quota: no share to speak of)."""
    return saved / quota if quota else saved * math.nan


def _plain(row: pd.Series) -> dict[str, Any]:
    """A row as JSON-ready values (ints, floats, ISO timestamps, None for NaT and NaN)."""
    out: dict[str, Any] = {}
    for name in COLUMNS:
        value = row[name]
        if pd.isna(value):
            out[name] = None
        elif name == "last_hit":
            out[name] = pd.Timestamp(value).isoformat()
        elif name in _COUNTS:
            out[name] = int(value)
        else:
            out[name] = float(value)
    return out


def _percent(share: float) -> str:
    return f"{share:.2%}" if share < 0.1 else f"{share:.1%}"


def _size(nbytes: int) -> str:
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _when(moment: datetime) -> str:
    return pd.Timestamp(moment).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
