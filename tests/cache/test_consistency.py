"""No stale read after a write, even when a read was on its way when the write happened;
and callers missing the same key at once share one API call."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from open_to_close import Call, Hook, NotFoundError, OpenToCloseAPI
from open_to_close.cache import CacheBackend, CachedOTCClient

from .conftest import CallCounter

WAIT = 10.0  # bound on every wait below; the tests pass in milliseconds


class PauseAfterRead(Hook):
    """Holds the first ``GET /properties/{id}`` after its answer came, until released."""

    def __init__(self) -> None:
        self.armed = True
        self.arrived = threading.Event()
        self.release = threading.Event()

    def on_response(self, call: Call, status: int, elapsed: float) -> None:
        if self.armed and call.method == "GET" and call.template == "/properties/{id}":
            self.armed = False
            self.arrived.set()
            assert self.release.wait(WAIT)


@pytest.fixture
def pause(client: OpenToCloseAPI) -> Iterator[PauseAfterRead]:
    hook = PauseAfterRead()
    client.add_hook(hook)
    yield hook
    hook.release.set()


def test_a_read_overtaken_by_a_write_is_not_served_afterwards(
    client: OpenToCloseAPI, backend: CacheBackend, pause: PauseAfterRead
) -> None:
    cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    pid = client.properties.create_property({"address": "1 Race St", "city": "Old"})["id"]
    reader = threading.Thread(target=cached.get_property, args=(pid,))
    reader.start()
    assert pause.arrived.wait(WAIT)  # the reader holds the old record, not yet stored
    cached.update_property(pid, {"city": "New"})
    # A caller arriving now must not join the reader's flight: it left before the write.
    assert cached.get_property(pid)["city"] == "New"
    pause.release.set()
    reader.join(WAIT)
    # The reader has stored the old record by now, stamped with the old version.
    assert cached.get_property(pid)["city"] == "New"


def test_many_threads_missing_one_key_make_one_call(
    client: OpenToCloseAPI, backend: CacheBackend, counter: CallCounter
) -> None:
    registry = CollectorRegistry()
    cached = CachedOTCClient(client, backend, registry=registry)
    pid = client.properties.create_property({"address": "1 Crowd St"})["id"]
    threads = 12

    class HoldLeader(Hook):
        def on_request(self, call: Call) -> None:
            # Let every thread count its miss (and so reach the flight) before answering.
            deadline = time.monotonic() + WAIT
            while (
                time.monotonic() < deadline
                and (
                    registry.get_sample_value(
                        "otc_cache_misses_total", {"cache_type": backend.name}
                    )
                    or 0
                )
                < threads
            ):
                time.sleep(0.005)
            time.sleep(0.05)

    client.add_hook(HoldLeader())
    start = threading.Barrier(threads)
    results: list[dict[str, object]] = []

    def read() -> None:
        start.wait(WAIT)
        results.append(cached.get_property(pid))

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT)
    assert len(results) == threads and all(r["id"] == pid for r in results)
    assert counter.calls["GET /properties/{id}"] == 1
    results[0]["address"] = "changed"  # each caller got its own copy
    assert sum(r["address"] == "1 Crowd St" for r in results) == threads - 1


def test_followers_get_the_leaders_error(client: OpenToCloseAPI, counter: CallCounter) -> None:
    cached = CachedOTCClient(client, registry=CollectorRegistry())
    release = threading.Event()

    class Slow(Hook):
        def on_request(self, call: Call) -> None:
            release.wait(WAIT)

    client.add_hook(Slow())
    errors: list[BaseException] = []

    def read() -> None:
        try:
            cached.get_property(999_999)
        except NotFoundError as exc:
            errors.append(exc)

    workers = [threading.Thread(target=read) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(0.1)  # let them all reach the flight
    release.set()
    for worker in workers:
        worker.join(WAIT)
    assert len(errors) == 4
    assert counter.calls["GET /properties/{id}"] == 1


def test_concurrent_readers_and_writer_never_see_an_older_version(
    client: OpenToCloseAPI, backend: CacheBackend
) -> None:
    """Each reader, after seeing version n, never sees a version below the last one
    written before its read began."""
    cached = CachedOTCClient(client, backend, registry=CollectorRegistry())
    pid = client.properties.create_property({"address": "1 Busy St", "listing_price": 0})["id"]
    written = [0]
    stale: list[tuple[int, int]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            floor = written[0]
            seen = cached.get_property(pid)["listing_price"]
            if seen < floor:
                stale.append((seen, floor))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for n in range(1, 21):
        cached.update_property(pid, {"listing_price": n})
        written[0] = n
    stop.set()
    for reader in readers:
        reader.join(WAIT)
    assert stale == []
    assert cached.get_property(pid)["listing_price"] == 20
