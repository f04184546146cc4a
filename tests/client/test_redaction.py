"""The API key never shows: not in logs (ours or httpx2's), errors, reprs or printed URLs."""

from __future__ import annotations

import logging
import socket

import pytest

from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI, OpenToCloseAPIError
from open_to_close.sandbox import SandboxServer

SECRET = "sk-live-7c1f0b2e9d4a"


def test_key_never_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with SandboxServer(api_key=SECRET) as sb:
        sb.set_faults(rate=0.5, statuses=(503,))
        with OpenToCloseAPI(SECRET, sb.base_url, retry_backoff=0.001, max_retries=1) as client:
            texts.append(repr(client))
            for _ in range(10):
                try:
                    client.properties.list_properties({"status": "active"})
                except OpenToCloseAPIError as exc:
                    texts += [str(exc), repr(exc), str(exc.response_data)]
            sb.set_faults()
            for call in (
                lambda: client.properties.retrieve_property(424242),
                lambda: client.properties.create_property({"bedrooms": "x"}),
            ):
                with pytest.raises(OpenToCloseAPIError) as info:
                    call()
                texts += [str(info.value), repr(info.value), str(info.value.response_data)]
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request" in logged  # httpx2 did log its URLs ...
    assert "api_token=***" in logged  # ... with the key masked
    assert SECRET not in logged
    assert all(SECRET not in text for text in texts)


def test_key_not_in_network_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with OpenToCloseAPI(SECRET, f"http://127.0.0.1:{port}", max_retries=0) as client:
        with pytest.raises(OpenToCloseAPIError) as info:
            client.properties.list_properties()
    assert SECRET not in str(info.value) + repr(info.value) + caplog.text


async def test_key_not_in_aiohttp_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with SandboxServer(api_key=SECRET) as sb:
        async with AsyncOpenToCloseAPI(SECRET, sb.base_url, http_backend="aiohttp") as client:
            await client.properties.list_properties()
            with pytest.raises(OpenToCloseAPIError) as info:
                await client.properties.retrieve_property(99)
    assert SECRET not in caplog.text + str(info.value) + repr(client)


@pytest.mark.defect(11)
def test_every_package_logger_masks_the_key(caplog: pytest.LogCaptureFixture) -> None:
    """A logger's filter sees only its own records, not its children's: each of the
    package's loggers masks the key itself, so a handler on the root (a user's) never
    receives it, from the queue's settle line or the service's scheduler alike."""
    import open_to_close.queue.settle
    import open_to_close.service.scheduler  # noqa: F401

    key = "k3y-" + socket.gethostname().replace(".", "-") + "-never-logged"
    with OpenToCloseAPI(key, "http://127.0.0.1:9/v1"):
        pass  # the key is known to the redaction from here on
    caplog.set_level(logging.INFO)
    for name in ("open_to_close.queue.settle", "open_to_close.service.scheduler"):
        logging.getLogger(name).warning("task failed: GET /x?api_token=%s and %s", key, key)
    assert len(caplog.records) == 2
    assert key not in caplog.text
    assert all("***" in r.getMessage() for r in caplog.records)
