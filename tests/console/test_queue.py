"""The queue page on the SQLite queue and on Celery (Redis broker): counts, dead letters
with their error and attempts, retry, discard and bulk actions, paging."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .conftest import Rig, check_paging

FLAKY = {"fail": True}


def _ids(html: str) -> list[str]:
    return re.findall(r'data-testid="dead-letter" data-id="([^"]+)"', html)


def _count(html: str, state: str) -> int:
    found = re.search(rf'data-testid="count-{state}">(\d+)<', html)
    assert found, state
    return int(found.group(1))


@pytest.fixture(params=["sqlite", "celery-redis"])
def queue_rig(request: pytest.FixtureRequest, make_rig: Callable[..., Rig]) -> Iterator[Rig]:
    if request.param == "sqlite":
        rig = make_rig(console={"page_size": 5})
    else:
        name = f"otc-console-{uuid.uuid4().hex[:10]}"
        rig = make_rig(
            console={"page_size": 5}, queue={"url": f"redis://127.0.0.1:6379/0?queue={name}"}
        )
    rig.login()
    queue = rig.components.queue

    @queue.task(name="console.flaky", max_retries=0, retry_backoff=0)
    def flaky(payload: Any) -> None:
        if FLAKY["fail"]:
            raise RuntimeError(f"the CRM refused record {payload['n']}")

    FLAKY["fail"] = True
    yield rig
    if request.param != "sqlite":
        from tests.queue.conftest import purge

        purge(queue)


def _fail_some(rig: Rig, n: int) -> None:
    queue = rig.components.queue
    for i in range(n):
        queue.enqueue("console.flaky", {"n": i})
    queue.worker().run(stop_when_idle=True)


def test_dead_letters_show_error_and_attempts_then_retry_finishes(queue_rig: Rig) -> None:
    rig = queue_rig
    _fail_some(rig, 3)
    page = rig.get("/console/queue").text
    assert _count(page, "dead") == 3 and _count(page, "pending") == 0
    ids = _ids(page)
    assert len(ids) == 3
    row = page.split(f'data-id="{ids[0]}"')[1].split("</tr>")[0]
    assert "the CRM refused record" in row and 'class="attempts">1<' in row
    FLAKY["fail"] = False
    answer = rig.post(f"/console/queue/dead/{ids[0]}/retry", page="/console/queue")
    assert answer.status_code == 303
    after = rig.get("/console/queue").text
    assert 'data-kind="ok"' in after and f"Dead letter {ids[0]} queued again" in after
    assert _count(after, "dead") == 2 and _count(after, "pending") == 1
    rig.components.queue.worker().run(stop_when_idle=True)
    done = rig.get("/console/queue").text
    assert _count(done, "done") == 1 and _count(done, "pending") == 0
    assert ids[0] not in _ids(done)


def test_discard_and_bulk(queue_rig: Rig) -> None:
    rig = queue_rig
    _fail_some(rig, 4)
    ids = _ids(rig.get("/console/queue").text)
    rig.post(f"/console/queue/dead/{ids[0]}/discard", page="/console/queue")
    assert _count(rig.get("/console/queue").text, "dead") == 3
    FLAKY["fail"] = False
    answer = rig.post(
        "/console/queue/dead/bulk", {"action": "retry", "ids": ids[1:3]}, page="/console/queue"
    )
    assert answer.status_code == 303
    page = rig.get("/console/queue").text
    assert "2 dead letter(s) queued again" in page and _count(page, "dead") == 1
    rig.post(
        "/console/queue/dead/bulk", {"action": "discard", "ids": [ids[3]]}, page="/console/queue"
    )
    page = rig.get("/console/queue").text
    assert _count(page, "dead") == 0 and "No dead letters" in page


def test_bad_input_is_a_message_not_a_500(queue_rig: Rig) -> None:
    rig = queue_rig
    for path, data, says in [
        ("/console/queue/dead/bulk", {"action": "retry"}, "select at least one"),
        ("/console/queue/dead/bulk", {"action": "explode", "ids": ["1"]}, "choose retry or"),
        ("/console/queue/dead/99999/retry", {}, "no dead letter has id"),
        ("/console/queue/dead/not-a-number/discard", {}, "no dead letter has id"),
        ("/console/queue/dead/1/explode", {}, "unknown action"),
    ]:
        answer = rig.post(path, data, page="/console/queue")
        assert answer.status_code == 400, path
        assert 'data-kind="error"' in answer.text and says in answer.text, path
    assert rig.get("/console/queue", before="abc").status_code == 400


def test_dead_letters_are_paged_newest_first(queue_rig: Rig) -> None:
    rig = queue_rig
    _fail_some(rig, 12)
    seen = check_paging(rig, "/console/queue", r'data-testid="dead-letter" data-id="([^"]+)"', 12)
    assert seen == sorted(seen, key=int, reverse=True)
