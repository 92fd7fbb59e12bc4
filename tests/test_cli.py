"""The ``sportsframe`` command's answers: one line and status 2 for bad input, one line and status 1
for a sportsframe error (never a traceback or a password, unless ``--debug`` asks for the
traceback), and a report that works once the cache holds entries."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import psycopg
import pytest

from sportsframe.cli import main

PASSWORD = "s3cret-Pw-41"
UNREACHABLE_DB = f"postgresql+psycopg://modeller:{PASSWORD}@127.0.0.1:1/cache"


def _command() -> list[str]:
    exe = shutil.which("sportsframe", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "sportsframe.cli"]


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *argv],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["warm", "--season", "2024", "--weeks", "abc"], ["--weeks", "'abc'", "1-4"]),
        (["invalidate", "--season", "x"], ["--season", "'x'", "2000"]),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_them(argv: list[str], names: list[str]) -> None:
    done = _run(*argv)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    for name in names:
        assert name in line
    assert done.stdout == ""


def test_report_on_an_unreachable_database_exits_1_with_one_line_and_no_password() -> None:
    done = _run("report", env={"DATABASE_URL": UNREACHABLE_DB, "REDIS_HOST": ""})
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert "warm tier" in line
    assert "DATABASE_URL" in line
    assert PASSWORD not in done.stderr + done.stdout


def test_debug_adds_the_traceback_but_not_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE_DB)
    monkeypatch.setenv("REDIS_HOST", "")
    assert main(["report", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert PASSWORD not in err


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["warm", "--season", "2024", "--weeks", "3-30"], ["--weeks", "'30'", "0 to 18"]),
        (["warm", "--season", "2024", "--weeks", "5-2"], ["--weeks", "backwards"]),
        (["warm", "--season", "1999"], ["--season", "2000"]),
        (["warm", "--season", "2024", "--datasets", "props,nope"], ["--datasets", "'nope'"]),
        (["warm", "--upcoming", "-2"], ["--upcoming", "positive"]),
        (["invalidate", "nope"], ["DATASET", "'nope'", "props"]),
        (["invalidate", "--team", "XYZ"], ["--team", "'XYZ'", "KC"]),
        (["invalidate", "--player-id", "abc"], ["--player-id", "'abc'"]),
        (["demo", "--week", "40"], ["--week", "'40'"]),
        (["report", "--png", "/no/such/folder/chart.png"], ["--png", "existing folder"]),
        (["report", "--html", "."], ["--html", "'.'"]),
        (["nonsense"], ["invalid choice", "'nonsense'"]),
    ],
)
def test_every_subcommand_rejects_bad_input_in_one_line(
    argv: list[str], names: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    line = _one_line(capsys.readouterr().err)
    for name in names:
        assert name in line


def test_an_argument_only_the_call_can_check_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Week 0 exists in the preseason only: known once the season type is (before any I/O).
    code = main(["warm", "--emulator", "--season", "2024", "--weeks", "0"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert "week=0" in line
    assert "1 to 18" in line


def test_a_sportsframe_error_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_HOST", "")
    code = main(["warm", "--season", "2024", "--weeks", "17"])  # no key, not the emulator
    assert code == 1
    line = _one_line(capsys.readouterr().err)
    assert "SPORTSDATAIO_API_KEY" in line


# -- the report after the demo ---------------------------------------------------------------
def _demo_then_report(
    env: dict[str, str], out: Path
) -> tuple[str, subprocess.CompletedProcess[str]]:
    demo = _run("demo", "--no-latency", env=env)
    assert demo.returncode == 0, demo.stderr
    report = _run("report", env=env)
    assert report.returncode == 0, report.stderr
    assert "Traceback" not in report.stderr
    _check_json_html_png(env, out, _report_rows(report.stdout))
    return demo.stdout, report


def _report_rows(stdout: str) -> dict[str, dict[str, int]]:
    """The text table's rows: data type -> entries, live, expired and hits; the total row must
    add them up, and each row's live and expired entries its entries."""
    lines = stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["data_type", "entries", "live", "expired"]
    rule = next(i for i, line in enumerate(lines) if line and set(line) == {"-"})
    names = ("entries", "live", "expired", "hits")
    rows = {}
    for line in lines[1:rule]:
        name, entries, live, expired, _avg, hits, *_ = line.split()
        rows[name] = {
            k: int(v.replace(",", ""))
            for k, v in zip(names, (entries, live, expired, hits), strict=True)
        }
        assert rows[name]["live"] + rows[name]["expired"] == rows[name]["entries"]
    total, entries, live, expired, _avg, hits, *_ = lines[rule + 1].split()
    assert total == "total"
    for column, text in zip(names, (entries, live, expired, hits), strict=True):
        assert int(text.replace(",", "")) == sum(row[column] for row in rows.values())
    return rows


def _check_json_html_png(env: dict[str, str], out: Path, rows: dict[str, dict[str, int]]) -> None:
    """``report --json --html FILE --png FILE``: the JSON says what the table said, the page
    holds the table and the chart is a valid PNG image."""
    html, png = out / "report.html", out / "report.png"
    done = _run("report", "--json", "--html", str(html), "--png", str(png), env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {
        row["data_type"]: {k: row[k] for k in ("entries", "live", "expired")}
        | {"hits": row["total_hits"]}
        for row in data["data_types"]
    } == rows
    page = html.read_text(encoding="utf-8")
    table = page[page.index("<table") : page.index("</table>")]
    for name, row in rows.items():
        assert f">{name}<" in table
        assert f">{row['entries']:,}<" in table
    image = png.read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    height, width = matplotlib.image.imread(io.BytesIO(image), format="png").shape[:2]
    assert width >= 600
    assert height >= 200


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "SPORTSFRAME_HOME": str(tmp_path / "home"),
        "SPORTSFRAME_RATE_LIMIT": "1000",
        **extra,
    }


def _counts(rows: list[tuple[str, int, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """(entries, hits) per data type from ``data_type, COUNT(*), SUM(hit_count)`` rows."""
    return {t: int(n) for t, n, _ in rows}, {t: int(h) for t, _, h in rows}


COUNT_SQL = "SELECT data_type, COUNT(*), SUM(hit_count) FROM cache_entries GROUP BY data_type"


def test_report_after_the_demo_on_sqlite(tmp_path: Path, redis_url: str) -> None:
    _, report = _demo_then_report(_env(tmp_path), tmp_path)
    with sqlite3.connect(tmp_path / "home" / "cache.sqlite3") as db:
        counts, hits = _counts(list(db.execute(COUNT_SQL)))
    assert len(counts) >= 4  # props (and its parts), injuries, odds, player game stats
    rows = _report_rows(report.stdout)
    assert {name: row["entries"] for name, row in rows.items()} == counts
    assert {name: row["hits"] for name, row in rows.items()} == hits
    assert sum(hits.values()) > 0  # the demo's hits, flushed when its session closed


def test_report_after_the_demo_on_postgres(
    tmp_path: Path, redis_url: str, pg_database: str
) -> None:
    _, report = _demo_then_report(_env(tmp_path, DATABASE_URL=pg_database), tmp_path)
    plain = pg_database.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        counts, hits = _counts([tuple(row) for row in conn.execute(COUNT_SQL).fetchall()])
    assert len(counts) >= 4
    rows = _report_rows(report.stdout)
    assert {name: row["entries"] for name, row in rows.items()} == counts
    assert {name: row["hits"] for name, row in rows.items()} == hits
    assert sum(hits.values()) > 0
