"""What a run did: counts that add up, and one detail per record worth reporting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

__all__ = ["DetailLevel", "PushReport"]

DetailLevel = Literal["all", "changes", "errors"]
_LEVELS = ("all", "changes", "errors")

Progress = Callable[[str], None]


class PushReport:
    """Counts of a push: ``processed == created + updated + unchanged + errors``.

    ``details`` keeps one small dict per record: all of them (``"all"``, the guide's
    behaviour), only creates, updates and errors (``"changes"``), or only errors; a run over
    a million unchanged rows need not hold a million dicts.
    """

    def __init__(
        self, details: DetailLevel = "all", progress: Progress | None = None, dry_run: bool = False
    ) -> None:
        if details not in _LEVELS:
            raise ValueError(f"details must be one of {', '.join(_LEVELS)}; got {details!r}")
        self.level = details
        self.progress = progress
        self.dry_run = dry_run
        self.counts = {"processed": 0, "created": 0, "updated": 0, "unchanged": 0, "errors": 0}
        self.details: list[dict[str, Any]] = []

    def add(self, action: str, detail: dict[str, Any]) -> None:
        """Count one record's outcome (``created``, ``updated``, ``unchanged``, ``error``)."""
        key = "errors" if action == "error" else action
        self.counts["processed"] += 1
        self.counts[key] += 1
        keep = (
            self.level == "all"
            or (self.level == "changes" and action != "unchanged")
            or action == "error"
        )
        if keep:
            detail["action"] = action
            if self.dry_run and action in ("created", "updated"):
                detail["dry_run"] = True
            self.details.append(detail)
        if self.progress is not None:
            self.progress(action)

    def error(self, where: str | None, external_id: str | None, message: str) -> None:
        detail: dict[str, Any] = {"external_id": external_id, "error": message}
        if where is not None:
            detail["row"] = where
        self.add("error", detail)

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        return {**self.counts, "details": self.details, "dry_run": self.dry_run, **extra}
