"""The public surface: exported names, resource methods, and the docs that list them."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import open_to_close
from open_to_close import AsyncOpenToCloseAPI, OpenToCloseAPI
from open_to_close._model.resources import RESOURCES

DOCS = Path(__file__).resolve().parents[1] / "docs"
VERBS = ("list", "iter", "create", "retrieve", "update", "delete")


def _methods(spec_attr: str, singular: str, plural: str) -> list[str]:
    return [f"{verb}_{plural if verb in ('list', 'iter') else singular}" for verb in VERBS]


def test_all_is_complete_and_importable() -> None:
    public = {
        name
        for name, value in vars(open_to_close).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public <= set(open_to_close.__all__)
    for name in open_to_close.__all__:
        assert hasattr(open_to_close, name)


def test_exceptions_hierarchy() -> None:
    from open_to_close import exceptions as exc

    for name in exc.__all__:
        assert issubclass(getattr(exc, name), exc.OpenToCloseAPIError)
        assert getattr(open_to_close, name) is getattr(exc, name)
    assert issubclass(exc.ConfigurationError, ValueError)


@pytest.mark.parametrize("cls", [OpenToCloseAPI, AsyncOpenToCloseAPI])
@pytest.mark.parametrize("spec", RESOURCES, ids=lambda s: s.attribute)
def test_every_contract_method_is_written_out(cls: type, spec: object) -> None:
    client = cls("k-1234", "http://127.0.0.1:9")
    resource = getattr(client, spec.attribute)  # type: ignore[attr-defined]
    for name in _methods(spec.attribute, spec.singular, spec.plural):  # type: ignore[attr-defined]
        # Defined on the class itself (no __getattr__ magic): editors and mypy see them.
        assert name in type(resource).__dict__, name
        params = list(inspect.signature(getattr(resource, name)).parameters)
        if spec.parent:  # type: ignore[attr-defined]
            assert params[0] == "property_id", name


def test_api_md_lists_every_method() -> None:
    text = (DOCS / "api.md").read_text()
    for spec in RESOURCES:
        for name in _methods(spec.attribute, spec.singular, spec.plural):
            assert f"`{name}(" in text, name
    assert "`get_property_fields()`" in text


def test_version_in_one_place() -> None:
    from open_to_close._transport import USER_AGENT

    assert open_to_close.__version__ in USER_AGENT
