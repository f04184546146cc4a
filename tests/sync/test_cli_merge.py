"""``otc sync conflicts resolve --use merge --field F=SIDE``: the per-field decision the
console's Conflicts page makes, from the command line, applied by the next run."""

from __future__ import annotations

import json
import re
from pathlib import Path

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer

from ._data import ID_FIELD, listing
from .test_cli import otc, state_url  # noqa: F401 - its fixture, for this module too


def test_a_conflict_merged_field_by_field_from_the_cli(
    sb: SandboxServer,
    tmp_path: Path,
    state_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    crm = tmp_path / "crm.jsonl"
    crm.write_text(json.dumps(listing(1)) + "\n")
    base = ["--state", state_url, "--strategy", "manual", "--external-id-field", ID_FIELD]
    assert otc(sb, "sync", "two-way", str(crm), *base)[0] == 0
    with OpenToCloseAPI(sb.api_key, sb.base_url) as client:
        (prop,) = client.properties.list_properties({ID_FIELD: "ext_1"})
        client.properties.update_property(prop["id"], {"listing_price": 111, "city": "Berkeley"})
        crm.write_text(json.dumps(listing(1, price=222, city="Oakland")) + "\n")
        code, out = otc(sb, "sync", "two-way", str(crm), *base)
        assert code == 0 and "manual_required" in out, out
        _code, out = otc(sb, "sync", "conflicts", "list", "--state", state_url)
        found = re.search(r"│\s*(\d+)\s*│", out)
        assert found, out
        resolve = ["sync", "conflicts", "resolve", found.group(1), "--state", state_url]
        code, out = otc(sb, *resolve, "--use", "merge", "--field", "city=otc")
        assert code == 2 and "no choice for: listing_price" in out
        code, out = otc(sb, *resolve, "--use", "otc", "--field", "city=otc")
        assert code == 2 and "--use merge" in out
        code, out = otc(
            sb,
            *resolve,
            "--use",
            "merge",
            "--field",
            "city=otc",
            "--field",
            "listing_price=external",
        )
        assert code == 0 and "merged field by field" in out, out
        assert otc(sb, "sync", "two-way", str(crm), *base)[0] == 0
        record = client.properties.retrieve_property(prop["id"])
        assert record["city"] == "Berkeley" and record["listing_price"] == 222
        row = json.loads(crm.read_text())
        assert row["city"] == "Berkeley" and row["price"] == 222
