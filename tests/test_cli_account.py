"""``otc account``: the first thing to run against a real account."""

from __future__ import annotations

import json
import tomllib

from typer.testing import CliRunner

from open_to_close.cli import app
from open_to_close.sandbox import SandboxServer
from open_to_close.sync import load_mapping

runner = CliRunner()


def _env(sb: SandboxServer, **extra: str) -> dict[str, str]:
    return {
        "OPEN_TO_CLOSE_API_KEY": sb.api_key,
        "OPEN_TO_CLOSE_BASE_URL": sb.base_url,
        "COLUMNS": "200",
        **extra,
    }


def test_report_shows_key_member_zone_headers_and_fields(sb: SandboxServer) -> None:
    result = runner.invoke(app, ["account"], env=_env(sb))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "API key: works" in out
    assert "the first team's first member" in out and "time zone: id 1" in out
    assert "rate-limit headers: not sent" in out
    assert "property fields: 497" in out
    assert "contract_status" in out and "Listing-Active" in out


def test_json_report(sb: SandboxServer) -> None:
    result = runner.invoke(app, ["account", "--json"], env=_env(sb))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["team_member_id"] and report["rate_limit_header"] is None
    keys = {f["key"]: f for f in report["fields"]}
    assert len(keys) == 497 and keys["property_address"]["flat"] == "address"
    assert report["statuses"]["active"] == "Listing-Active"


def test_headers_and_settings_are_reported() -> None:
    with SandboxServer(api_key="k", rate_limit="100/s", rate_limit_headers=True) as sb:
        member = json.loads(runner.invoke(app, ["account", "--json"], env=_env(sb)).output)
        env = _env(sb, OPEN_TO_CLOSE_TEAM_MEMBER_ID=str(member["team_member_id"]))
        result = runner.invoke(app, ["account"], env=env)
    assert result.exit_code == 0, result.output
    assert "rate-limit headers: sent: 100" in result.output
    assert "from the team_member_id setting" in result.output


def test_mapping_template_loads_as_a_mapping(sb: SandboxServer, tmp_path: object) -> None:
    result = runner.invoke(app, ["account", "--mapping-template"], env=_env(sb))
    assert result.exit_code == 0, result.output
    text = result.output
    data = tomllib.loads(text)
    assert data["fields"]["address"] == {"source": "street_address", "required": True}
    assert "# property_county" in text and "Listing-Active" in text
    path = tmp_path / "mapping.toml"  # type: ignore[operator]
    path.write_text(text)
    mapping = load_mapping(path)
    assert "address" in mapping.targets and mapping.id_field == "listing_id"


def test_a_wrong_key_says_so(sb: SandboxServer) -> None:
    result = runner.invoke(app, ["account"], env={**_env(sb), "OPEN_TO_CLOSE_API_KEY": "nope"})
    assert result.exit_code == 1
    assert "the API key was refused" in result.output
    assert "nope" not in result.output


def test_no_key_is_a_usage_error(sb: SandboxServer) -> None:
    env = _env(sb)
    env["OPEN_TO_CLOSE_API_KEY"] = ""
    result = runner.invoke(app, ["account"], env=env)
    assert result.exit_code == 2
    assert "OPEN_TO_CLOSE_API_KEY" in result.output
