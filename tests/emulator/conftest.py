"""The emulator tests' league moment and servers: Sunday of 2024 week 13 during the early games
(weeks 1-12 final; week 13 has final, live and scheduled games; week 15 is beyond the markets)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from sportsframe.emulator import EmulatorServer, start_emulator

#: The moment every emulator test module serves its league at.
SUNDAY = datetime(2024, 12, 1, 19, 30, tzinfo=UTC)
#: The key the tests send (the emulator wants one; any value is accepted).
KEY = "emulator-test-key"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """An emulator at :data:`SUNDAY`, one per test module."""
    server = start_emulator(now=SUNDAY)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def http(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A plain HTTP client of the module's emulator, with the key sent."""
    headers = {"Ocp-Apim-Subscription-Key": KEY}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=60) as client:
        yield client
