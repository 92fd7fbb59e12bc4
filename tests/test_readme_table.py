"""The README's dataset table is the one generated from the registry, and its TTL table states
the registry's TTLs."""

from __future__ import annotations

import re
from pathlib import Path

from sportsframe.facade.catalog import (
    README_BEGIN,
    README_END,
    call_text,
    dataset_table,
    human_ttl,
    operation,
)
from sportsframe.facade.docstrings import join_keys
from sportsframe.registry.datasets import DATASETS
from sportsframe.registry.ttl import TTL_POLICIES

README = Path(__file__).resolve().parent.parent / "README.md"


def _section() -> str:
    text = README.read_text()
    return text.split(README_BEGIN + "\n", 1)[1].split(README_END, 1)[0]


def test_readme_dataset_table_is_the_generated_one() -> None:
    assert _section() == dataset_table()


def test_the_table_has_every_dataset_its_operations_ttl_and_key_columns() -> None:
    rows = {
        m.group(1): line
        for line in dataset_table().splitlines()
        if (m := re.match(r"\| `(\w+)\(", line))
    }
    assert list(rows) == list(DATASETS)
    for name, ds in DATASETS.items():
        row = rows[name]
        assert f"`{call_text(ds)}`" in row
        for variant in ds.variants:
            assert f"`{variant.endpoint_name}` {operation(variant)} (" in row
        for f in ds.filters:
            assert f"`{f.name}=" in row, (name, f.name)
        seconds = TTL_POLICIES.get(ds.endpoint.data_type)
        if seconds is not None:
            assert f"| {human_ttl(seconds)} |" in row
        assert f"| {ds.endpoint.data_type.value} |" in row
        assert row.endswith(f"| {', '.join(join_keys(ds)) or '—'} |")


def test_operations_are_named_by_their_sportsdataio_path() -> None:
    scores = DATASETS["scores"]
    assert [operation(v) for v in scores.variants] == ["ScoresByWeek", "ScoresByWeekFinal"]


def test_readme_ttl_table_states_every_registry_ttl() -> None:
    text = README.read_text()
    table = text.split("| Data type | TTL | Why |\n", 1)[1].split("\n\n", 1)[0]
    rows = {
        name.strip(): line.split(" | ")[1]
        for line in table.splitlines()[1:]
        for name in line.split(" | ")[0].lstrip("| ").split(",")
    }
    for data_type, seconds in TTL_POLICIES.items():
        assert rows[data_type.value] == human_ttl(seconds), data_type


def test_human_ttls() -> None:
    assert [human_ttl(s) for s in (30, 60, 300, 3600, 21600, 86400, 604800)] == [
        "30 s",
        "1 min",
        "5 min",
        "1 h",
        "6 h",
        "1 day",
        "7 days",
    ]
