"""Load the user's code named on the command line: ``module`` or ``module:attribute``."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer


def load(spec: str, option: str) -> Any:
    """The module (or its attribute) named by ``spec``; a usage error saying why not."""
    module_name, _, attribute = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as ``python -m`` would: the user's own modules
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise typer.BadParameter(
            f"can't import {module_name!r}: {type(exc).__name__}: {exc}", param_hint=option
        ) from None
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise typer.BadParameter(
            f"module {module_name!r} has no attribute {attribute!r}", param_hint=option
        ) from None


def attach(target: Any, queue: Any) -> int:
    """Give ``queue`` the tasks and webhook handlers found in ``target``; how many.

    ``target`` is a module (every ``TaskQueue`` and ``WebhookHandler`` in it counts), a
    queue, or a handler.
    """
    from ..queue.base import TaskQueue
    from ..webhooks import WebhookHandler, bind_queue

    values = list(vars(target).values()) if hasattr(target, "__spec__") else [target]
    found = 0
    for value in values:
        if isinstance(value, TaskQueue) and value is not queue:
            for spec in value.tasks.values():
                queue.tasks[spec.name] = spec
                found += 1
        elif isinstance(value, WebhookHandler):
            bind_queue(value, queue)
            found += 1
    return found
