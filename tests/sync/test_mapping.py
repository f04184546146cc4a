"""Field mapping: the guide's transform as defaults, without its silent defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from open_to_close.exceptions import ConfigurationError
from open_to_close.sync import FieldMapping, RowError, load_mapping

from ._data import listing


def test_defaults_are_the_guides_transform() -> None:
    out = FieldMapping().to_otc(listing(7))
    assert out == {
        "address": "7 Main St",
        "city": "San Francisco",
        "state": "CA",
        "zip_code": "94102",
        "listing_price": 500_007,
        "bedrooms": 3,
        "bathrooms": 2,
        "square_feet": 1800,
        "property_type": "single_family",
        "status": "active",
    }  # the live API has no external_id field: the id goes to external_id_field, if set


@pytest.mark.parametrize(
    ("field", "value", "target", "expected"),
    [
        ("price", "$850,000", "listing_price", 850_000),
        ("price", " 1250000.50 ", "listing_price", 1_250_000.5),
        ("bath_count", "2.5", "bathrooms", 2.5),
        ("bed_count", "3.0", "bedrooms", 3),
        ("price", "", "listing_price", None),
        ("type", "", "property_type", "single_family"),
        ("status", "pending", "status", "under_contract"),
        ("status", "pre_mls", "status", "pre_mls"),  # already an Open To Close status
        ("status", None, "status", None),  # left out, not turned into 'active'
    ],
)
def test_values_are_converted(field: str, value: object, target: str, expected: object) -> None:
    assert FieldMapping().to_otc(listing(1, **{field: value}))[target] == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price": "call us"}, "unparseable price 'call us'"),
        ({"price": "nan"}, "finite"),
        ({"bed_count": "3.5"}, "whole number"),
        ({"price": True}, "expected a number"),
        ({"status": "teardown"}, "unknown status 'teardown'"),
        ({"street_address": "  "}, "missing required field 'street_address'"),
        ({"id": None}, "missing id"),
    ],
)
def test_bad_values_are_row_errors(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RowError, match=message):
        FieldMapping().to_otc(listing(1, **changes))


def test_default_status_fills_a_blank_one() -> None:
    mapping = FieldMapping(default_status="pre_mls")
    assert mapping.to_otc(listing(1, status=""))["status"] == "pre_mls"
    # Two-way sync fills no default into what it reads.
    blank = mapping.to_otc(listing(1, status="", type=""), defaults=False)
    assert blank["status"] is None and blank["property_type"] is None


def test_to_external_reverses_names_and_statuses() -> None:
    mapping = FieldMapping()
    values = mapping.to_otc(listing(3, status="off_market"))
    back = mapping.to_external(values)
    assert back["street_address"] == "3 Main St" and back["status"] == "off_market"
    assert back["price"] == 500_003 and "external_id" not in back


def test_a_toml_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'id_field = "listing_id"\n'
        'default_status = "pre_mls"\n'
        'external_id_field = "sisu_id_number"\n'
        "[fields]\n"
        'address = { source = "street", required = true }\n'
        'listing_price = { source = "asking", type = "number" }\n'
        'status = "state"\n'
        "[status_map]\n"
        'listed = "active"\n'
    )
    mapping = load_mapping(path)
    row = {"listing_id": 9, "street": "1 A St", "asking": "1,000", "state": "listed"}
    assert mapping.to_otc(row) == {
        "address": "1 A St",
        "listing_price": 1000,
        "status": "active",
    }
    assert mapping.external_id_field == "sisu_id_number"
    assert mapping.to_otc({**row, "state": ""})["status"] == "pre_mls"


def test_a_json_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"fields": {"address": "addr", "city": "town"}}))
    assert load_mapping(path).to_otc({"id": "x", "addr": "2 B St", "town": "Reno"}) == {
        "address": "2 B St",
        "city": "Reno",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('colour = "red"', "unknown keys \\['colour'\\]"),
        ('[fields]\ncity = "town"', "must fill 'address'"),
        ('[fields]\naddress = { source = "a", type = "money" }', "fields.address.type"),
        ('[fields]\naddress = { source = "a", unit = "m" }', "unknown keys \\['unit'\\]"),
        ('[fields]\naddress = { type = "str" }', "needs 'source'"),
        ('[status_map]\nlisted = "on_sale"', "'on_sale', which is not an Open To Close status"),
        ("fields = [", "is not valid"),
        ('external_id_field = "city"', "also a mapped field"),
    ],
)
def test_bad_mapping_files_say_what_to_fix(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        load_mapping(path)


def test_mapping_file_must_exist_and_be_json_or_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="can't read"):
        load_mapping(tmp_path / "missing.toml")
    (tmp_path / "m.yaml").write_text("a: 1")
    with pytest.raises(ConfigurationError, match=r"\.json or \.toml"):
        load_mapping(tmp_path / "m.yaml")
