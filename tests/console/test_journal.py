"""The event journal's bounds and the console's start-up errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from open_to_close.console.journal import EventJournal, events
from open_to_close.exceptions import ConfigurationError
from open_to_close.service.checks import startup_problems
from open_to_close.service.config import parse_service_config

from .conftest import Rig


def _count(journal: EventJournal) -> int:
    with journal.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def test_the_journal_keeps_at_most_keep_events_and_keep_days(tmp_path: Path) -> None:
    journal = EventJournal(f"sqlite:///{tmp_path}/j.db", keep_events=100, keep_days=1)
    for n in range(250):
        journal.taken({"id": f"evt_{n}", "event_type": "property.updated"}, "webhook")
    journal.prune()
    assert _count(journal) == 100
    newest = journal.page(1)[0]
    assert newest.event_id == "evt_249"
    with journal.engine.begin() as conn:  # half of them two days old
        conn.execute(
            update(events)
            .where(events.c.seq <= newest.seq - 50)
            .values(received_at=time.time() - 2 * 86400)
        )
    assert journal.prune() == 50
    assert _count(journal) == 50
    journal.close()


def test_a_missing_jinja2_names_the_pip_install(
    make_rig: Callable[..., Rig], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if it were not installed
    with pytest.raises(ConfigurationError, match=r"pip install 'open-to-close\[console\]'"):
        make_rig()


def test_check_says_when_the_console_stays_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OTC_CONSOLE_TOKEN", raising=False)
    config = parse_service_config({"console": {"enabled": True}, "events": {"source": "poll"}})
    assert any("OTC_CONSOLE_TOKEN" in p for p in startup_problems(config))
    with pytest.raises(ConfigurationError, match="token_env"):
        parse_service_config({"console": {"token_env": "not a name"}})
    with pytest.raises(ConfigurationError, match=r"console\.keep_events"):
        parse_service_config({"console": {"keep_events": 5}})
