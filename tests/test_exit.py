"""A script that ends right after a miss still leaves the entry cached.

A miss answers before its writes land (see tests/cache/test_write_behind.py). A batch script's
last call, or a script that never closes its session, then exits while those writes are under
way: the background loop's exit must let them finish rather than cancel them, or the request
just paid for would be paid for again by the next run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sportsframe.emulator import EmulatorServer
from sportsframe.facade.sync import Session
from tests.scripts import run_script


def test_a_script_that_exits_right_after_a_miss_leaves_the_entry_cached(
    emulator: EmulatorServer, namespace: str, tmp_path: Path
) -> None:
    # The warm write is slowed so that it is surely still under way when the script ends; the
    # session is never closed, as in a script that just uses it and stops.
    script = f"""
import asyncio, json
from pathlib import Path
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.facade.sync import Session

write = SqlTier.set_many

async def slow_write(self, *args, **kwargs):
    await asyncio.sleep(0.5)
    return await write(self, *args, **kwargs)

SqlTier.set_many = slow_write
session = Session(source="emulator", base_url={emulator.base_url!r}, namespace={namespace!r},
                  rate_limit=1000.0, l0_max_bytes=0, redis_host="", home=Path({str(tmp_path)!r}))
frame = session.injuries(2024, 10)
print(json.dumps([frame.attrs["served_from"], len(frame)]))
"""
    served, rows = run_script(script)
    assert served == "api"
    assert_warm_holds(emulator, namespace, tmp_path, 10, rows)


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.slow
def test_writes_finishing_at_exit_may_open_connections_and_nothing_warns(
    emulator: EmulatorServer, namespace: str, tmp_path: Path, redis_url: str, pg_database: str
) -> None:
    # Servers named by host name, and the warm tier's pool emptied before its write: the write
    # let finish at exit must open a connection, and look "localhost" up to do so. That lookup
    # runs in the loop's default executor, which refuses work once atexit has begun; the exit
    # wait now runs before that. And the API client's connections, never closed by the script,
    # are closed at exit without a warning.
    redis_by_name = redis_url.replace("127.0.0.1", "localhost")
    database_by_name = pg_database.replace("127.0.0.1", "localhost")
    script = f"""
import asyncio, json
from pathlib import Path
from sportsframe.cache.sql.tier import SqlTier
from sportsframe.facade.sync import Session

write = SqlTier.set_many

async def write_on_a_new_connection(self, *args, **kwargs):
    await asyncio.sleep(0.5)
    await self._engine.dispose()
    return await write(self, *args, **kwargs)

SqlTier.set_many = write_on_a_new_connection
session = Session(source="emulator", base_url={emulator.base_url!r}, namespace={namespace!r},
                  rate_limit=1000.0, l0_max_bytes=0, redis_url_override={redis_by_name!r},
                  database_url={database_by_name!r}, home=Path({str(tmp_path)!r}))
frame = session.injuries(2024, 11)
print(json.dumps([frame.attrs["served_from"], len(frame)]))
"""
    said: list[str] = []
    served, rows = run_script(script, stderr=said)
    assert served == "api"
    assert said == [""], said  # no tier taken for down, no unclosed session
    assert_warm_holds(emulator, namespace, tmp_path, 11, rows, database_url=pg_database)


def assert_warm_holds(
    emulator: EmulatorServer,
    namespace: str,
    home: Path,
    week: int,
    rows: int,
    *,
    database_url: str | None = None,
) -> None:
    """The warm tier alone (no Redis, offline: a miss would raise instead of asking the API)
    answers the script's call, with as many rows, and no request reaches the API."""
    requests = len(emulator.log.records)
    with Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        l0_max_bytes=0,
        redis_host="",
        database_url=database_url,
        home=home,
        offline=True,
    ) as session:
        again = session.injuries(2024, week)
    assert again.attrs["served_from"] == "warm"
    assert len(again) == rows
    assert len(emulator.log.records) == requests


def test_a_loop_stuck_at_exit_is_waited_for_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A loop busy in a blocking call cannot finish the writes: the early exit wait runs out,
    # and shutdown() must not then wait for the same loop a second time before stopping it.
    # The exit wait's task, created once the loop came back, is cancelled, not destroyed
    # pending ("Task was destroyed but it is pending!" at exit).
    import asyncio
    import gc
    import threading
    import time

    from sportsframe import loop as runner

    stuck = asyncio.new_event_loop()
    thread = threading.Thread(target=stuck.run_forever, daemon=True)
    thread.start()
    busy = threading.Event()

    def block() -> None:
        busy.set()
        time.sleep(2.5)

    stuck.call_soon_threadsafe(block)  # the loop's one thread, busy
    busy.wait()  # what is submitted from here on runs only after the block, with the stop
    monkeypatch.setattr(runner, "_loop", stuck)
    monkeypatch.setattr(runner, "_thread", thread)
    monkeypatch.setattr(runner, "_unresponsive", False)
    monkeypatch.setattr(runner, "EXIT_WAIT", 0.1)
    waited_again: list[bool] = []

    async def cancel_pending() -> None:
        waited_again.append(True)

    monkeypatch.setattr(runner, "_cancel_pending", cancel_pending)
    runner._finish_at_exit()  # runs out: the loop never answers
    assert runner._unresponsive
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        runner.shutdown()
        gc.collect()
    assert waited_again == []
    assert not thread.is_alive()
    assert stuck.is_closed()
    assert not [r for r in caplog.records if "destroyed" in r.getMessage()]


def test_a_task_that_outlives_its_cancellation_does_not_hold_the_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What a late-answering loop left is cancelled and run to its end at exit, but only for
    # EXIT_WAIT: a task that goes on awaiting after its cancellation would hold the exit.
    import asyncio
    import time

    from sportsframe import loop as runner

    loop = asyncio.new_event_loop()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(60)

    task = loop.create_task(stubborn())
    loop.run_until_complete(asyncio.sleep(0))  # it is inside its first sleep
    monkeypatch.setattr(runner, "EXIT_WAIT", 0.2)
    started = time.monotonic()
    runner._cancel_left(loop)
    assert time.monotonic() - started < 5
    assert not task.done()  # still awaiting, and left
    task.cancel()  # (a second cancellation ends it, so that the test leaves nothing behind)
    loop.run_until_complete(asyncio.wait([task]))
    loop.close()
