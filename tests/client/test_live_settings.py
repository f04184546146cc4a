"""The live-model settings: arguments, environment, config files; bad values say what to fix."""

from __future__ import annotations

import pathlib

import pytest

from open_to_close import ConfigurationError, OpenToCloseAPI


@pytest.mark.parametrize(
    ("given", "per_second"), [("60/m", 1.0), ("1/s", 1.0), (2, 2.0), (0.5, 0.5), ("5/sec", 5.0)]
)
def test_rate_limit_forms(given: object, per_second: float) -> None:
    assert OpenToCloseAPI("k", rate_limit=given).settings.rate_limit == per_second  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["fast", "0/s", "-1", "1/h", float("nan"), 0, True])
def test_bad_rate_limits(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="rate_limit must be like '60/m'"):
        OpenToCloseAPI("k", rate_limit=bad)  # type: ignore[arg-type]


def test_defaults_are_the_safe_ones() -> None:
    settings = OpenToCloseAPI("k").settings
    assert settings.team_member_id is None and settings.time_zone_id == 1
    assert settings.rate_limit is None and settings.retry_posts == "safe"
    assert settings.field_aliases == {} and settings.status_map == {}


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPEN_TO_CLOSE_TEAM_MEMBER_ID", "77")
    monkeypatch.setenv("OPEN_TO_CLOSE_TIME_ZONE_ID", "5")
    monkeypatch.setenv("OPEN_TO_CLOSE_RATE_LIMIT", "1/s")
    monkeypatch.setenv("OPEN_TO_CLOSE_FIELD_ALIASES", '{"county": "property_county"}')
    monkeypatch.setenv("OPEN_TO_CLOSE_STATUS_MAP", '{"active": "Listing - Active"}')
    monkeypatch.setenv("OPEN_TO_CLOSE_RETRY_POSTS", "always")
    s = OpenToCloseAPI("k").settings
    assert (s.team_member_id, s.time_zone_id, s.rate_limit) == (77, 5, 1.0)
    assert s.field_aliases == {"county": "property_county"}
    assert s.status_map == {"active": "Listing - Active"} and s.retry_posts == "always"


def test_from_a_toml_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "otc.toml"
    path.write_text(
        'api_key = "k"\nteam_member_id = 12\nrate_limit = "60/m"\nretry_posts = "safe"\n'
        '[field_aliases]\ncounty = "property_county"\n[status_map]\nsold = "Closed"\n'
    )
    s = OpenToCloseAPI.from_config(path).settings
    assert (s.team_member_id, s.rate_limit) == (12, 1.0)
    assert s.field_aliases == {"county": "property_county"} and s.status_map == {"sold": "Closed"}


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("team_member_id", 0, "team_member_id must be a positive whole number"),
        ("time_zone_id", "Chicago", "time_zone_id must be a positive whole number"),
        ("retry_posts", "sometimes", "retry_posts must be 'safe'"),
        ("field_aliases", {"county": 3}, "field_aliases must map names to names"),
        ("status_map", "not json", "status_map must be a JSON object"),
    ],
)
def test_bad_settings_say_what_to_fix(option: str, value: object, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        OpenToCloseAPI("k", **{option: value})  # type: ignore[arg-type]
