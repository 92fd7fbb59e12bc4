"""The efficiency report: its numbers equal plain SQL on the same ``cache_entries`` rows (on
SQLite and PostgreSQL, expired entries and write-behind hit counts included), and its chart,
HTML page, text table and JSON show those numbers."""

from __future__ import annotations

import base64
import io
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib.image
import pandas as pd
import psycopg
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

import sportsframe as sf
from sportsframe.cache.sql.report import TypeEfficiency
from sportsframe.clock import ManualClock
from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session
from sportsframe.report import COLUMNS, EfficiencyReport
from tests.test_facade import make_session

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Plain SQL per dialect: per data type, entries, expired at the parameter, hits, last hit and
#: the bytes of the payloads and Arrow copies; then the companions of the entries' current versions.
PLAIN_SQL = {
    "sqlite": (
        "SELECT data_type, COUNT(*), SUM(julianday(expires_at) <= julianday(?)), SUM(hit_count),"
        " MAX(last_hit_at), SUM(length(CAST(data AS BLOB))), COALESCE(SUM(length(arrow)), 0)"
        " FROM cache_entries GROUP BY data_type",
        "SELECT e.data_type, SUM(length(c.data)) FROM cache_companions c JOIN cache_entries e"
        " ON e.key = c.key AND e.created_at = c.created_at GROUP BY e.data_type",
    ),
    "postgres": (
        "SELECT data_type, COUNT(*), COUNT(*) FILTER (WHERE expires_at <= %s), SUM(hit_count),"
        " MAX(last_hit_at), SUM(octet_length(data::text)), COALESCE(SUM(octet_length(arrow)), 0)"
        " FROM cache_entries GROUP BY data_type",
        "SELECT e.data_type, SUM(octet_length(c.data)) FROM cache_companions c"
        " JOIN cache_entries e ON e.key = c.key AND e.created_at = c.created_at"
        " GROUP BY e.data_type",
    ),
}

#: Runs (sql, params) against the session's warm tier and returns the rows.
Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


@pytest.fixture(params=["sqlite", "postgres"])
def warm_db(
    request: pytest.FixtureRequest,
    emulator: EmulatorServer,
    redis_url: str,
    namespace: str,
    tmp_path: Path,
    clock: ManualClock,
) -> Iterator[tuple[str, Session, Query]]:
    """(dialect, a session on the emulator over the real Redis and that warm tier with the
    manual clock, a plain-SQL runner on the same database)."""
    dialect: str = request.param
    if dialect == "sqlite":
        url = None

        def query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            with sqlite3.connect(tmp_path / "cache.sqlite3") as db:
                return list(db.execute(sql, params))

    else:
        schema = request.getfixturevalue("schema")
        postgres_url = request.getfixturevalue("postgres_url")
        url = f"{postgres_url}?options=-csearch_path%3D{schema}"
        plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)

        def query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            with psycopg.connect(plain, options=f"-csearch_path={schema}") as conn:
                return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    session = make_session(
        emulator, namespace, tmp_path, redis_url=redis_url, postgres_url=url, clock=clock
    )
    with session:
        yield dialect, session, query


def _plain_counts(dialect: str, query: Query, now: datetime) -> pd.DataFrame:
    """The report's numbers, counted by plain SQL."""
    entries_sql, companions_sql = PLAIN_SQL[dialect]
    at: Any = now if dialect == "postgres" else now.replace(tzinfo=None).isoformat(sep=" ")
    rows = query(entries_sql, (at,))
    frame = pd.DataFrame(
        rows,
        columns=[
            "data_type",
            "entries",
            "expired",
            "total_hits",
            "last_hit",
            "payload_bytes",
            "arrow_bytes",
        ],
    ).set_index("data_type")
    companions: dict[str, int] = dict(query(companions_sql, ()))
    frame["frame_bytes"] = [int(companions.get(name, 0)) for name in frame.index]
    frame["last_hit"] = pd.to_datetime(frame["last_hit"], utc=True)
    return frame.sort_index()


def test_efficiency_equals_plain_sql_with_expired_entries_and_flushed_hits(
    warm_db: tuple[str, Session, Query], clock: ManualClock
) -> None:
    dialect, session, query = warm_db
    # Written now: props and injuries live for minutes, teams for days.
    session.props(2024, 13)
    injuries = session.injuries(2024, 13)
    session.teams(2024)
    session.settle()  # the misses' writes land (until then a read is answered from them)
    for _ in range(2):  # hot hits
        session.props(2024, 13)
        session.injuries(2024, 13)
    session.drop_hot(injuries.attrs["key"])
    assert session.injuries(2024, 13).attrs["served_from"] == "warm"
    assert session.teams(2024).attrs["served_from"] == "hot"
    stats = session.cache_stats()
    hits = stats["hot_cache"]["hits"] + stats["warm_cache"]["hits"]
    clock.advance(timedelta(hours=1).total_seconds())  # props and injuries expire, teams not

    report = session.efficiency()

    plain = _plain_counts(dialect, query, clock.now())
    frame = report.frame
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame.index) == list(plain.index)
    for column in ("entries", "expired", "total_hits", "payload_bytes", "arrow_bytes"):
        assert frame[column].tolist() == plain[column].astype(int).tolist(), column
    assert frame["frame_bytes"].tolist() == plain["frame_bytes"].tolist()
    assert (frame["live"] + frame["expired"]).tolist() == plain["entries"].tolist()
    assert frame["last_hit"].tolist() == plain["last_hit"].tolist()
    assert frame["avg_hits"].tolist() == pytest.approx(
        (plain["total_hits"] / plain["entries"]).tolist()
    )
    stored = plain["payload_bytes"] + plain["arrow_bytes"] + plain["frame_bytes"]
    assert frame["stored_bytes"].tolist() == stored.astype(int).tolist()
    assert frame["api_calls_saved"].tolist() == frame["total_hits"].tolist()
    quota = session.settings.monthly_quota
    assert frame["quota_share"].tolist() == pytest.approx((plain["total_hits"] / quota).tolist())
    # The cases the test is for: some entries expired, some live, and every hit the facade
    # made is in the table (the write-behind counter was flushed before the report's query).
    assert 0 < frame["expired"].sum() < frame["entries"].sum()
    assert frame["total_hits"].sum() == hits > 0
    assert frame["frame_bytes"].sum() > 0
    assert report.generated_at == clock.now()


# -- presentation ----------------------------------------------------------------------------
AT = datetime(2024, 12, 1, 18, 0, tzinfo=UTC)


def _report(quota: int = 10_000) -> EfficiencyReport:
    rows = [
        TypeEfficiency("player_props", 17, 12, 5, 2.0, 34, AT - timedelta(minutes=3), 900, 400, 70),
        TypeEfficiency("injuries", 2, 2, 0, 0.5, 1, AT - timedelta(hours=2), 300, 100, 0),
        TypeEfficiency("teams", 1, 1, 0, 0.0, 0, None, 50, 20, 10),
    ]
    return EfficiencyReport.from_rows(rows, generated_at=AT, monthly_quota=quota)


def test_frame_is_indexed_by_data_type_with_derived_columns() -> None:
    report = _report()
    frame = report.frame
    assert frame.index.name == "data_type"
    assert list(frame.index) == sorted(frame.index)
    assert frame.loc["player_props", "stored_bytes"] == 900 + 400 + 70
    assert frame.loc["player_props", "api_calls_saved"] == 34
    assert frame.loc["player_props", "quota_share"] == pytest.approx(34 / 10_000)
    assert frame["last_hit"].isna()["teams"]
    totals = report.totals
    assert totals["entries"] == frame["entries"].sum()
    assert totals["avg_hits"] == pytest.approx(frame["total_hits"].sum() / frame["entries"].sum())
    assert totals["last_hit"] == frame["last_hit"].max()


def test_plot_draws_the_frames_numbers() -> None:
    report = _report()
    figure = report.plot()
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    bars = {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}
    names = [t.get_text() for t in ax.get_yticklabels()]
    frame = report.frame.loc[names]
    for label, column in (
        ("live entries", "live"),
        ("expired entries", "expired"),
        ("API calls saved", "api_calls_saved"),
    ):
        widths = [patch.get_width() for patch in bars[label].patches]
        assert widths == frame[column].tolist(), label
    # expired entries stack on the live ones
    assert [p.get_x() for p in bars["expired entries"].patches] == frame["live"].tolist()
    assert str(report.totals["api_calls_saved"]) in ax.get_title()


def test_plot_draws_on_the_axes_it_is_given() -> None:
    figure = Figure()
    ax = figure.add_subplot()
    assert _report().plot(ax=ax) is figure
    assert ax.containers


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    height, width = image.shape[:2]
    return width, height


def test_png_and_html_page_carry_the_chart_and_the_table(tmp_path: Path) -> None:
    report = _report()
    png = report.to_png(tmp_path / "chart.png", dpi=100)
    assert (tmp_path / "chart.png").read_bytes() == png
    width, height = report.plot().get_size_inches() * 100
    assert _png_size(png) == (round(width), round(height))

    page = report.to_html(tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>")
    table = page[page.index("<table") : page.index("</table>")]
    for name, row in report.frame.iterrows():
        assert f">{name}<" in table
        assert f">{row['entries']:,}<" in table
    (embedded,) = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert _png_size(base64.b64decode(embedded)) == _png_size(report.to_png())
    assert "<table" in report._repr_html_()


def test_text_table_has_a_row_per_data_type_and_a_total() -> None:
    report = _report()
    lines = report.to_text().splitlines()
    assert lines[0].split()[:4] == ["data_type", "entries", "live", "expired"]
    rows = {line.split()[0]: line.split() for line in lines[1:4]}
    for name, row in report.frame.iterrows():
        assert rows[str(name)][1:4] == [str(row["entries"]), str(row["live"]), str(row["expired"])]
    assert set(lines[4]) == {"-"}
    assert lines[5].split()[:2] == ["total", str(report.totals["entries"])]
    assert f"{report.totals['api_calls_saved']} API calls saved" in lines[-1]
    assert repr(report) == report.to_text()


def test_json_holds_every_column() -> None:
    report = _report()
    data = json.loads(report.to_json())
    assert data["monthly_quota"] == 10_000
    assert datetime.fromisoformat(data["generated_at"]) == AT
    by_type = {row["data_type"]: row for row in data["data_types"]}
    assert set(by_type) == set(report.frame.index)
    for name, row in report.frame.iterrows():
        assert by_type[str(name)]["entries"] == row["entries"]
        assert by_type[str(name)]["quota_share"] == pytest.approx(row["quota_share"])
    assert by_type["teams"]["last_hit"] is None
    assert data["totals"]["api_calls_saved"] == report.totals["api_calls_saved"]


def test_a_zero_quota_has_no_share_and_an_empty_report_says_so() -> None:
    report = _report(quota=0)
    assert report.frame["quota_share"].isna().all()
    assert "% of" not in report.summary()
    report.plot()
    empty = EfficiencyReport.from_rows([], generated_at=AT, monthly_quota=10_000)
    assert empty.frame.empty
    assert list(empty.frame.columns) == list(COLUMNS)
    assert "no entries" in empty.to_text()
    empty.plot()
    assert "<table" in empty.to_html()


def test_efficiency_is_exported() -> None:
    assert "efficiency" in sf.__all__
    assert "EfficiencyReport" in sf.__all__
    assert sf.efficiency.__doc__ == sf.AsyncSession.efficiency.__doc__
