"""A script that ends right after a miss still leaves the entry cached.

A miss answers before its writes land (see tests/cache/test_write_behind.py). A batch script's
last call, or a script that never closes its session, then exits while those writes are under
way: the background loop's exit must let them finish rather than cancel them, or the request
just paid for would be paid for again by the next run.
"""

from __future__ import annotations

from pathlib import Path

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
    requests = len(emulator.log.records)
    with Session(
        source="emulator",
        base_url=emulator.base_url,
        namespace=namespace,
        l0_max_bytes=0,
        redis_host="",
        home=tmp_path,
        offline=True,  # a miss would raise instead of asking the API
    ) as session:
        again = session.injuries(2024, 10)
    assert again.attrs["served_from"] == "warm"
    assert len(again) == rows
    assert len(emulator.log.records) == requests
