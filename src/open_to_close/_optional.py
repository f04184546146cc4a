"""Lazy imports of optional engines, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional engine is not installed; the message names the ``pip install`` to run."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or explain which extra of ``open-to-close`` provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the '{module.split('.')[0]}' package, which is not installed. "
            f"Install it with: pip install 'open-to-close[{extra}]'"
        ) from exc
