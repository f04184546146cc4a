"""Rate limits: fixed epoch-aligned windows per key; 429 without headers by default (as
live), ``X-RateLimit-*`` and ``Retry-After`` with ``rate_limit_headers=True``."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import httpx2
import pytest

from open_to_close.sandbox import SandboxServer, parse_rate_limit
from open_to_close.sandbox.limits import RateLimit, RateLimiter


@pytest.fixture(scope="module")
def headed_server() -> Iterator[SandboxServer]:
    with SandboxServer(api_key="k", rate_limit_headers=True) as server:
        yield server


@pytest.fixture
def headed(headed_server: SandboxServer) -> Iterator[tuple[SandboxServer, httpx2.Client]]:
    headed_server.reset()
    with httpx2.Client(base_url=headed_server.base_url, params={"api_token": "k"}) as client:
        yield headed_server, client
    headed_server.set_rate_limit(None)


def test_429_without_headers_by_default(sbx: SandboxServer, api: httpx2.Client) -> None:
    time.sleep(1 - time.time() % 1 + 0.01)
    sbx.set_rate_limit("2/s")
    answers = [api.get("/properties") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    for response in answers:
        assert not [h for h in response.headers if h.lower().startswith("x-ratelimit")]
        assert "retry-after" not in response.headers
    assert answers[-1].json()["message"]
    assert sbx.stats()["rate_limited"] == 1


def test_headers_429_and_window_reset(
    headed: tuple[SandboxServer, httpx2.Client],
) -> None:
    sbx, api = headed
    # Start just after a window boundary so the three calls share one window.
    time.sleep(1 - time.time() % 1 + 0.01)
    sbx.set_rate_limit("3/s")
    answers = [api.get("/properties") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert all(r.headers["x-ratelimit-limit"] == "3" for r in answers)
    reset = int(answers[0].headers["x-ratelimit-reset"])
    assert reset == math.floor(time.time()) + 1 or reset == math.ceil(time.time())
    refused = answers[-1]
    assert refused.json()["message"]
    assert int(refused.headers["retry-after"]) >= 1
    assert sbx.stats()["rate_limited"] == 1
    time.sleep(max(0.0, reset - time.time()) + 0.01)
    after = api.get("/properties")
    assert after.status_code == 200
    assert after.headers["x-ratelimit-remaining"] == "2"


def test_every_kind_of_answer_carries_the_headers(
    headed: tuple[SandboxServer, httpx2.Client],
) -> None:
    sbx, api = headed
    sbx.set_rate_limit("1000/m")
    for response in (
        api.post("/contacts", json={"first_name": "a"}),
        api.get("/properties/999"),
        api.post("/properties/", json={}),
        api.post("/properties", json={}),
        api.delete("/properties/1"),
    ):
        assert "x-ratelimit-reset" in response.headers, response.status_code
        assert int(response.headers["x-ratelimit-reset"]) % 60 == 0


def test_no_headers_without_a_limit(headed: tuple[SandboxServer, httpx2.Client]) -> None:
    assert "x-ratelimit-limit" not in headed[1].get("/properties").headers


def test_a_refused_request_does_not_use_the_window() -> None:
    now = [1000.2]
    limiter = RateLimiter("2/m", clock=lambda: now[0])
    verdicts = [limiter.check("k") for _ in range(5)]
    assert [v.allowed for v in verdicts if v] == [True, True, False, False, False]
    refused = verdicts[-1]
    assert refused is not None
    assert refused.reset == 1020 and refused.retry_after == 20
    now[0] = 1020.0
    again = limiter.check("k")
    assert again is not None and again.allowed and again.remaining == 1
    assert limiter.check("other") is not None  # counted per key


@pytest.mark.parametrize(
    ("spec", "rule"), [("10/s", (10, 1)), ("1000/m", (1000, 60)), (" 5 / m ", (5, 60))]
)
def test_parse_rate_limit(spec: str, rule: tuple[int, int]) -> None:
    assert parse_rate_limit(spec) == RateLimit(*rule)


@pytest.mark.parametrize("spec", ["10", "10/h", "0/s", "-1/s", "a/s", "10/sec", ""])
def test_bad_rate_limits_say_the_format(spec: str) -> None:
    with pytest.raises(ValueError, match="N/s or N/m"):
        parse_rate_limit(spec)
    with pytest.raises(ValueError, match="N/s or N/m"):
        SandboxServer(rate_limit=spec)
