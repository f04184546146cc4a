"""API answers become the contract's exceptions, with what the caller needs to act."""

from __future__ import annotations

import pytest

from open_to_close import (
    AuthenticationError,
    NotFoundError,
    OpenToCloseAPI,
    OpenToCloseAPIError,
    ValidationError,
)
from open_to_close.sandbox import SandboxServer


def test_validation_error_carries_field_errors(client: OpenToCloseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        client.contacts.create_contact({"name": "Jo Buyer"})  # the live API refuses `name`
    error = info.value
    assert error.status_code == 400
    assert set(error.field_errors) == {"name"}
    assert error.method == "POST" and error.endpoint == "/contacts"
    assert "first_name" in str(error)
    assert isinstance(error.response_data, dict)


def test_bad_property_fields_are_caught_before_sending(client: OpenToCloseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        client.properties.create_property({"city": "Austin", "status": "for_sale"})
    assert set(info.value.field_errors) == {"status"}
    assert info.value.status_code is None  # nothing was sent


def test_wrong_type_is_a_validation_error(client: OpenToCloseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        client.properties.create_property({"address": "1 A St", "bedrooms": "three"})
    assert "bedrooms" in info.value.field_errors


def test_not_found(client: OpenToCloseAPI) -> None:
    with pytest.raises(NotFoundError) as info:
        client.contacts.retrieve_contact(123456)
    assert info.value.status_code == 404
    assert info.value.endpoint == "/contacts/123456"


def test_wrong_key_is_an_authentication_error(sb: SandboxServer) -> None:
    with OpenToCloseAPI("wrong-key-000", sb.base_url) as bad:
        with pytest.raises(AuthenticationError) as info:
            bad.properties.list_properties()
    assert info.value.status_code == 401
    assert isinstance(info.value, OpenToCloseAPIError)


def test_bad_list_parameter(client: OpenToCloseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        client.properties.list_properties({"limit": "many"})
    assert "limit" in info.value.field_errors


def test_errors_are_not_retried_when_they_cannot_help(
    client: OpenToCloseAPI, sb: SandboxServer
) -> None:
    with pytest.raises(ValidationError):
        client.contacts.create_contact({"name": "x"})
    assert sb.stats()["requests"]["POST /contacts"] == 1
