"""Both signature schemes: what verifies, what is refused, and junk that must not crash."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from open_to_close.webhooks import InvalidSignatureError
from open_to_close.webhooks.signatures import (
    Secrets,
    otc_signature,
    sign_headers,
    standard_signature,
    verify_otc,
    verify_standard,
)

KEYS = Secrets(["old-secret", "new-secret"]).keys
BODY = b'{"id":"evt_1","event_type":"property.created"}'


def test_otc_signature_is_hmac_sha256_hex_of_the_raw_body() -> None:
    expected = hmac.new(b"s", BODY, hashlib.sha256).hexdigest()
    assert otc_signature("s", BODY) == f"sha256={expected}"


def test_standard_signature_follows_the_spec() -> None:
    signed = b"msg_1.1700000000." + BODY
    digest = base64.b64encode(hmac.new(b"s", signed, hashlib.sha256).digest()).decode()
    assert standard_signature("s", "msg_1", 1700000000, BODY) == f"v1,{digest}"


@pytest.mark.parametrize("secret", ["old-secret", "new-secret"])
def test_every_secret_of_a_rotation_verifies(secret: str) -> None:
    assert verify_otc(KEYS, BODY, otc_signature(secret, BODY))
    now = int(time.time())
    verify_standard(KEYS, BODY, "m", str(now), standard_signature(secret, "m", now, BODY))


def test_several_standard_signatures_one_good_is_enough() -> None:
    now = int(time.time())
    good = standard_signature("new-secret", "m", now, BODY)
    verify_standard(KEYS, BODY, "m", now, f"v1,Zm9v v1a,xyz {good}")


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        "sha256=00",
        "md5=abc",
        "sha256=é",
        "sha256=\udcff",
        b"sha256=\xff",
        otc_signature("other", BODY),
        "x" * 100_000,
        12345,
    ],
)
def test_otc_refusals_are_false_not_exceptions(signature: object) -> None:
    assert verify_otc(KEYS, BODY, signature) is False


def test_otc_accepts_upper_case_hex_and_spaces() -> None:
    good = otc_signature("old-secret", BODY)
    assert verify_otc(KEYS, BODY, "  SHA256=" + good[7:].upper() + " ")


def test_body_changed_by_one_byte_is_refused() -> None:
    assert not verify_otc(KEYS, BODY + b" ", otc_signature("old-secret", BODY))


def test_standard_timestamp_outside_tolerance_is_a_replay() -> None:
    old = int(time.time()) - 301
    signature = standard_signature("old-secret", "m", old, BODY)
    with pytest.raises(InvalidSignatureError, match="tolerance"):
        verify_standard(KEYS, BODY, "m", str(old), signature)
    verify_standard(KEYS, BODY, "m", str(old), signature, tolerance=600)


@pytest.mark.parametrize(
    ("msg_id", "stamp", "signature", "reason"),
    [
        (None, "1", "v1,x", "needs"),
        ("m", "soon", "v1,x", "Unix time"),
        ("m", "١٢٣", "v1,x", "Unix time"),  # Arabic-Indic digits are digits, not ASCII
        ("m", "NOW", "v2,x", "Unix time"),
        ("m", "{now}", "v2,abc", "no v1"),
        ("m", "{now}", "v1,AAAA", "Invalid"),
        ("m", "{now}", "v1,é", "Invalid"),
    ],
)
def test_standard_refusals(msg_id: object, stamp: str, signature: str, reason: str) -> None:
    stamp = stamp.format(now=int(time.time()))
    with pytest.raises(InvalidSignatureError, match=reason):
        verify_standard(KEYS, BODY, msg_id, stamp, signature)


def test_secrets_never_show_and_must_be_given() -> None:
    assert "old-secret" not in repr(Secrets("old-secret"))
    for bad in ("", [], [""]):
        with pytest.raises(ValueError):
            Secrets(bad)


def test_sign_headers_carries_both_schemes() -> None:
    headers = sign_headers("old-secret", BODY, "evt_1", timestamp=1700000000)
    assert headers["X-OTC-Event-Id"] == headers["webhook-id"] == "evt_1"
    assert headers["X-OTC-Timestamp"] == headers["webhook-timestamp"] == "1700000000"
    assert verify_otc(KEYS, BODY, headers["X-OTC-Signature"])
    verify_standard(KEYS, BODY, "evt_1", "1700000000", headers["webhook-signature"], now=1700000000)


@given(st.one_of(st.none(), st.text(), st.binary(), st.integers()), st.binary(max_size=200))
def test_otc_verify_never_raises(signature: object, body: bytes) -> None:
    assert verify_otc(KEYS, body, signature) in (True, False)


@given(st.text(max_size=40), st.text(max_size=20), st.text(max_size=200), st.binary(max_size=100))
def test_standard_verify_raises_only_invalid_signature(
    msg_id: str, stamp: str, signature: str, body: bytes
) -> None:
    with contextlib.suppress(InvalidSignatureError):
        verify_standard(KEYS, body, msg_id, stamp, signature)
