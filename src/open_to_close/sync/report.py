"""What a run did, in one shape for push, pull and two-way: counts and a list of failures.

Every report has ``errors`` (how many records failed, a number) and ``failures`` (one dict
per failed record: ``external_id``, ``otc_id`` when known, ``error``, and ``row`` for a
source row), so code that runs any engine (the scheduler, the CLI) reads them the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from ..exceptions import ValidationError

__all__ = ["DetailLevel", "PushReport", "Report", "error_text"]

DetailLevel = Literal["all", "changes", "errors"]
_LEVELS = ("all", "changes", "errors")

Progress = Callable[[str], None]


def error_text(exc: BaseException) -> str:
    """What a failure says: the fields the API refused, else the error's message."""
    if isinstance(exc, ValidationError) and exc.field_errors:
        fields = "; ".join(f"{k}: {v}" for k, v in exc.field_errors.items())
        return f"rejected by Open To Close: {fields}"
    return str(exc) or type(exc).__name__


class Report:
    """Counts (engine-specific) plus ``failures``; ``errors`` is ``len(failures)``."""

    def __init__(self, counts: dict[str, Any] | None = None) -> None:
        self.counts: dict[str, Any] = counts if counts is not None else {}
        self.failures: list[dict[str, Any]] = []
        self.scan_requests = 0  # requests spent reading Open To Close's collection

    @property
    def errors(self) -> int:
        return len(self.failures)

    def fail(
        self,
        external_id: str | None,
        message: str,
        *,
        otc_id: str | None = None,
        where: str | None = None,
    ) -> dict[str, Any]:
        failure: dict[str, Any] = {"external_id": external_id, "otc_id": otc_id, "error": message}
        if where is not None:
            failure["row"] = where
        self.failures.append(failure)
        return failure

    def summary(self) -> dict[str, Any]:
        """What the run history keeps: the counts, ``errors`` and ``scan_requests``."""
        return {**self.counts, "errors": self.errors, "scan_requests": self.scan_requests}

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        return {**self.summary(), "failures": self.failures, **extra}


class PushReport(Report):
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
        super().__init__({"processed": 0, "created": 0, "updated": 0, "unchanged": 0})
        self.level = details
        self.progress = progress
        self.dry_run = dry_run
        self.details: list[dict[str, Any]] = []

    def add(self, action: str, detail: dict[str, Any]) -> None:
        """Count one record's outcome (``created``, ``updated``, ``unchanged``, ``error``)."""
        self.counts["processed"] += 1
        if action != "error":
            self.counts[action] += 1
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

    def error(
        self, where: str | None, external_id: str | None, message: str, otc_id: str | None = None
    ) -> None:
        self.add("error", self.fail(external_id, message, otc_id=otc_id, where=where))

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        return super().as_dict(details=self.details, dry_run=self.dry_run, **extra)


def failure_summary(job: str, report: dict[str, Any], shown: int = 3) -> str | None:
    """One log line for a run with failed records (None without): how many, the first
    few, and where the rest are kept."""
    errors = int(report.get("errors") or 0)
    if not errors:
        return None
    first = "; ".join(
        " ".join(str(x) for x in (f.get("row"), f.get("external_id")) if x) + f": {f['error']}"
        for f in report.get("failures", [])[:shown]
    )
    run = report.get("run_id")
    more = f"otc sync history --run {run}" if run is not None else "otc sync history"
    return f"sync job {job}: {errors} record(s) failed (run {run}): {first}; all in '{more}'"
