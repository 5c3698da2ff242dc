"""A reaction plugin and a worker entry point for the worker fault tests, importable by the processes they start.

``EffectRecorder`` is an idempotent reaction, written as a real one should be: it applies its effect (a row keyed by
the event id) in a transaction of its own, committed before it returns, and a second delivery of the same event
finds the key taken and applies nothing; it counts such redeliveries, so a test can tell how many the idempotency
absorbed.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from oms_core import OMS, Event, hookimpl
from oms_core.worker import run_worker

HANDLED = "fault_handled"  # one row per event whose effect was applied
REDELIVERED = "fault_redelivered"  # one counter: deliveries of an event whose effect was already applied


def create_effect_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {HANDLED} (event_id VARCHAR(64) PRIMARY KEY)")
        conn.exec_driver_sql(f"CREATE TABLE {REDELIVERED} (n INTEGER NOT NULL)")
        conn.exec_driver_sql(f"INSERT INTO {REDELIVERED} (n) VALUES (0)")


def drop_effect_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for name in (HANDLED, REDELIVERED):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def effects(engine: sa.Engine) -> tuple[list[str], int]:
    """``(event ids whose effect was applied, redeliveries absorbed)``."""
    with engine.connect() as conn:
        handled = list(conn.exec_driver_sql(f"SELECT event_id FROM {HANDLED}").scalars())
        redelivered = conn.exec_driver_sql(f"SELECT n FROM {REDELIVERED}").scalar_one()
    return handled, redelivered


class EffectRecorder:
    """Reacts to ``stock_changed``: works for ``pause`` seconds, then applies its effect once per event id."""

    oms_plugin_name = "effect_recorder"

    def __init__(self, pause: float = 0.0, working: Any = None) -> None:
        self.pause = pause
        self.working = working  # an event set at the first call, for a test to time a kill

    @hookimpl
    def stock_changed(self, event: Event, oms: OMS) -> None:
        if self.working is not None:
            self.working.set()
        time.sleep(self.pause)  # the call to the other system: a kill here leaves nothing applied
        with oms.engine.begin() as conn:
            applied = conn.execute(
                sa.text(f"INSERT INTO {HANDLED} (event_id) VALUES (:id) ON CONFLICT DO NOTHING"), {"id": event.id}
            ).rowcount
            if not applied:
                conn.exec_driver_sql(f"UPDATE {REDELIVERED} SET n = n + 1")
        # committed: a kill from here until the worker marks its batch delivered makes a redelivery


def open_oms(url: str, recorder: EffectRecorder | None = None) -> OMS:
    return OMS.open(
        url, migrate=False, plugins=[recorder or EffectRecorder()], load_entry_points=False, inline_dispatch=False
    )


def killable_worker(url: str, pause: float, batch: int, lease_seconds: float, working: Any) -> None:
    """A worker process's body: deliver until killed; ``working`` is set when its first handler call begins."""
    oms = open_oms(url, EffectRecorder(pause, working))
    run_worker(oms, batch=batch, poll_interval=0.05, lease_seconds=lease_seconds)
