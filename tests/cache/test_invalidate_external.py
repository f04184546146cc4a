"""A change made elsewhere (seen in a webhook) is dropped from the cache on request."""

from __future__ import annotations

from open_to_close import OpenToCloseAPI
from open_to_close.cache import CachedOTCClient, MemoryCache
from open_to_close.sandbox import SandboxServer


def test_invalidate_property_after_an_outside_change(
    client: OpenToCloseAPI, sb: SandboxServer
) -> None:
    prop = client.properties.create_property({"address": "1 Outside Way", "city": "Austin"})
    with OpenToCloseAPI(sb.api_key, sb.base_url) as other:
        cached = CachedOTCClient(client, MemoryCache())
        assert cached.get_property(prop["id"])["city"] == "Austin"
        details = cached.get_property_with_details(prop["id"])
        other.properties.update_property(prop["id"], {"city": "Dallas"})  # not seen by us
        assert cached.get_property(prop["id"])["city"] == "Austin"  # still cached
        cached.invalidate_property(prop["id"])
        assert cached.get_property(prop["id"])["city"] == "Dallas"
        assert cached.get_property_with_details(prop["id"])["property"]["city"] == "Dallas"
        assert details["property"]["city"] == "Austin"
