"""No secret is ever rendered: not the API key, the webhook secret, the sign-in token, nor
a password in a database or broker URL."""

from __future__ import annotations

from collections.abc import Callable

from open_to_close.sandbox import SandboxServer

from .conftest import TOKEN, WEBHOOK_SECRET, Rig
from .test_auth import PAGES

PASSWORD = "pg-pass-83c1d0"
CACHE_PASSWORD = "redis-pass-19af"


def test_no_secret_on_any_page(make_rig: Callable[..., Rig], sb: SandboxServer) -> None:
    job = {
        "name": "warehouse",
        "direction": "push",
        "source": f"postgresql://etl:{PASSWORD}@127.0.0.1:1/dw",
        "table": "listings",
        "every": "1h",
    }
    rig = make_rig(sync={"jobs": [job]}, cache={"url": f"redis://:{CACHE_PASSWORD}@127.0.0.1:1/0"})
    rig.login()
    rig.post("/console/sync/warehouse/run", page="/console/sync")  # fails: nothing listens
    pages = [*PAGES, "/console/properties/1"]
    seen = "".join(rig.get(path).text for path in pages)
    assert "etl:***@127.0.0.1:1/dw" in seen  # the URL is shown, masked
    for secret in (sb.api_key, WEBHOOK_SECRET, TOKEN, PASSWORD, CACHE_PASSWORD):
        assert secret not in seen, secret
    assert repr(rig.components.config.console).count(TOKEN) == 0
