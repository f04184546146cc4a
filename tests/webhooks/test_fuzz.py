"""Property-based: no body and no header value makes the receiver answer 5xx."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from open_to_close.queue import connect
from open_to_close.webhooks import WebhookHandler, create_webhook_app, otc_signature
from open_to_close.webhooks.receiver import Receiver
from open_to_close.webhooks.signatures import standard_signature

from .conftest import SECRET

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
header_values = st.one_of(
    st.text(max_size=300), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))
)
header_names = st.sampled_from(
    ["x-otc-signature", "webhook-signature", "webhook-id", "webhook-timestamp", "content-type"]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["id", "event_type", "property"]), json_values).map(
        lambda v: json.dumps(v).encode()
    ),
)


def _receiver(tmp: Path, queued: bool) -> Receiver:
    handler = WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp / 'fuzz-seen.db'}")
    handler.register_handler("*", lambda event: {"seen": event.get("id")})
    queue = connect(f"sqlite:///{tmp / 'fuzz-q.db'}") if queued else None
    return Receiver(handler, queue, max_body=1500)


def test_any_headers_any_body_never_5xx(tmp_path: Path) -> None:
    receivers = [_receiver(tmp_path, False), _receiver(tmp_path, True)]

    @SETTINGS
    @given(bodies, st.lists(st.tuples(header_names, header_values), max_size=5))
    def check(body: bytes, headers: list[tuple[str, str]]) -> None:
        for receiver in receivers:
            status, _answer = receiver.receive(body, headers)
            assert status < 500, (status, _answer)

    check()


def test_correctly_signed_junk_never_5xx(tmp_path: Path) -> None:
    """Past the signature check: what the body holds is the only variable."""
    receivers = [_receiver(tmp_path, False), _receiver(tmp_path, True)]

    @SETTINGS
    @given(bodies, st.booleans())
    def check(body: bytes, standard: bool) -> None:
        if standard:
            now = int(time.time())
            headers = [
                ("webhook-id", "m1"),
                ("webhook-timestamp", str(now)),
                ("webhook-signature", standard_signature(SECRET, "m1", now, body)),
            ]
        else:
            headers = [("x-otc-signature", otc_signature(SECRET, body))]
        for receiver in receivers:
            status, answer = receiver.receive(body, headers)
            assert status < 500, (status, answer)
            json.dumps(answer)

    check()


def test_over_http_random_bodies_and_signatures(tmp_path: Path) -> None:
    app = create_webhook_app(WebhookHandler(SECRET, dedupe=f"sqlite:///{tmp_path / 'h.db'}"))

    async def post(body: bytes, signature: str) -> int:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://r") as client:
            answer = await client.post(
                "/webhook/otc",
                content=body,
                headers={"X-OTC-Signature": signature.encode("latin-1")},
            )
            return answer.status_code

    # Any byte a header can carry on the wire (latin-1), control characters aside.
    latin1 = st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f")

    @settings(max_examples=60, deadline=None, database=None)
    @given(bodies, st.text(alphabet=latin1, max_size=80))
    def check(body: bytes, signature: str) -> None:
        assert asyncio.run(post(body, signature)) < 500

    check()
