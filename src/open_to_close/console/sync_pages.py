"""``/console/sync``: the configured jobs with "run now", their runs (start, end, outcome,
counts, requests spent), and a run's failed rows with the reason."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .._redact import get_logger, redact
from . import sync_data
from .fmt import masked
from .web import BadInput, Ctx

log = get_logger(__name__)


def _job(ctx: Ctx, name: str) -> Any:
    for job in ctx.console.config.sync.jobs:
        if job.name == name:
            return job
    raise BadInput(f"no sync job named {name[:100]!r} in this service's otc.toml")


def sync_page(ctx: Ctx) -> Response:
    state = ctx.console.sync_state
    job = ctx.query("job") or None
    if job is not None:
        _job(ctx, job)
    runs, pager = ctx.cursor_page(
        lambda limit, before, after: state.history(job, limit, before=before, after=after),
        lambda r: r.id,
    )
    jobs = []
    for configured in ctx.console.config.sync.jobs:
        last = state.history(configured.name, 1)
        jobs.append(
            {
                "job": configured,
                "source": masked(configured.source),
                "last": last[0] if last else None,
            }
        )
    return ctx.render(
        "sync.html",
        jobs=jobs,
        runs=runs,
        pager=pager,
        job=job or "",
        running=ctx.console.running(),
        processed=sync_data.processed,
        requests=sync_data.requests_spent,
        describe=sync_data.describe_counts,
    )


def run_page(ctx: Ctx) -> Response:
    state = ctx.console.sync_state
    run_id = ctx.whole(ctx.path("run_id"), "the run number")
    run = sync_data.run(state, run_id)
    if run is None:
        return ctx.render("error.html", 404, message=f"No run {run_id} in the sync state.")
    failures, pager = ctx.forward_page(
        lambda limit, after: sync_data.failures(
            state, run_id, limit, -1 if after is None else after
        ),
        lambda f: f["n"],
        ctx.console.page_size,
    )
    return ctx.render(
        "run.html",
        run=run,
        failures=failures,
        pager=pager,
        summary=sync_data.describe_counts(run.counts),
        requests=sync_data.requests_spent(run.counts),
        errors=run.counts.get("errors", 0),
    )


def run_now(ctx: Ctx) -> Response:
    job = _job(ctx, ctx.path("job"))
    console = ctx.console
    from ..service.scheduler import JobRunner
    from ..sync.lock import SyncLockedError

    def work() -> None:
        try:
            JobRunner(job, console.components.client, console.sync_state).run()
        except SyncLockedError:
            log.info("console: sync job %s is running elsewhere; not started", job.name)
        except Exception as exc:  # recorded as a failed run in the history
            log.warning("console: sync job %s failed: %s", job.name, redact(str(exc)))

    if not console.start_background(job.name, f"otc-console-sync-{job.name}", work):
        raise BadInput(f"sync job {job.name!r} is already running from this console")
    return ctx.redirect(
        "/console/sync",
        "ok",
        f"Sync job {job.name} started; its run appears below (reload to follow it).",
    )


PAGES = [
    ("/sync", sync_page, ["GET"], None),
    ("/sync/runs/{run_id}", run_page, ["GET"], None),
    ("/sync/{job}/run", run_now, ["POST"], sync_page),
]
