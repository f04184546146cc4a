"""The soak's verdict: its figures, the invariants that failed and the evidence for each
(the deliveries' answers, the services' log lines), as a table to print."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ._soak_sender import SoakSender

# Log lines worth showing (each kind once, with ids and numbers folded).
_NOTABLE = re.compile(r"^(WARNING|ERROR|CRITICAL)\b|^[\w.]+(Error|Exception)\b")
_VARYING = re.compile(r"evt_soak_\w+|[0-9a-f]{32}|\d+(\.\d+)?")


@dataclass
class SoakResult:
    figures: dict[str, Any]
    failures: list[str]
    chaos: list[str]
    evidence: list[str] = field(default_factory=list)
    workers: str = ""  # finished runs by worker pid

    def table(self) -> str:
        width = max(len(name) for name in self.figures)
        lines = ["", f"{'soak: webhooks through otc serve (Celery on RabbitMQ)':<{width}}"]
        for name, value in self.figures.items():
            shown = f"{value:,}" if isinstance(value, int | float) else str(value)
            lines.append(f"{name:<{width}}  {shown:>10}")
        lines += ["", "disruptions:", *(f"  {line}" for line in self.chaos)]
        lines += [f"finished runs by worker pid: {self.workers}"]
        heading = "every invariant holds" if not self.failures else "INVARIANTS FAILED:"
        lines += ["", heading, *(f"  - {line}" for line in self.failures)]
        if self.evidence:
            lines += ["", "evidence:", *(f"  {line}" for line in self.evidence)]
        return "\n".join(lines)


Runs = dict[str, list[tuple[int, float | None]]]  # event id -> [(pid, finished at)]


def finished_pids(record: list[tuple[int, float | None]]) -> list[int]:
    """The pids of an event's runs that finished."""
    return [pid for pid, at in record if at is not None]


def longest_pause(record: Runs, since: float) -> str:
    """The longest time no run finished, from ``since`` (wall clock) to the last one."""
    times = sorted([since, *(at for runs_ in record.values() for _, at in runs_ if at)])
    gap, start = max(((b - a, a) for a, b in pairwise(times)), default=(0.0, 0.0))
    return f"{gap:.1f} s from {start - since:.1f} s" if gap else "-"


def verdict(
    sender: SoakSender,
    record: Runs,
    *,
    drained: float,
    stats: dict[str, int],
    letters: list[dict[str, Any]],
    left_in_broker: int,
    logs: list[str],
    killed: list[int],
    disruptions: list[str],
    all_while_sending: bool,
) -> SoakResult:
    """The figures and the failed invariants of a run (see ``_soak``'s docstring)."""
    accepted = {d.event_id: d for d in sender.deliveries if d.accepted}
    finished = {event_id: finished_pids(runs_) for event_id, runs_ in record.items()}
    handled = {event_id for event_id, pids in finished.items() if pids}
    dead = {str(letter["payload"].get("id")): letter for letter in letters}
    lost = sorted(set(accepted) - handled - dead.keys())
    twice = {event_id for event_id, pids in finished.items() if len(pids) > 1}
    # Allowed: the killed worker finished the run but died before settling the task.
    after_kill = {e for e in twice if len(finished[e]) == 2 and set(killed) & set(finished[e])}
    doubles = sorted(twice - after_kill)
    cut_short = sum(
        1 for runs_ in record.values() for pid, at in runs_ if pid in killed and at is None
    )
    figures: dict[str, Any] = dict(sender.counts())
    figures.update(
        {
            "handled (distinct events)": len(handled),
            "handler runs cut short by the SIGKILL": cut_short,
            "handled twice after the SIGKILL (allowed)": len(after_kill),
            "handled twice otherwise": len(doubles),
            "lost (2xx, never handled)": len(lost),
            "dead-lettered": len(dead),
            "queue state: pending / running at the end": f"{stats['pending']} / {stats['running']}",
            "messages left in RabbitMQ": left_in_broker,
            "sending, first POST to last 2xx (s)": round(sender.finished - sender.started, 1),
            "end to end, to the last handler run (s)": round(drained - sender.started, 1),
            "longest pause with no handler run finishing": longest_pause(record, sender.wall),
        }
    )
    figures["events/s end to end"] = round(len(handled) / max(drained - sender.started, 1e-9), 1)
    failures, evidence = [], []
    if lost:
        failures.append(f"{len(lost)} events answered 2xx were never handled (lost)")
        evidence += [f"lost {accepted[e].describe()}" for e in lost[:20]]
    if doubles:
        failures.append(f"{len(doubles)} events handled more than once, not by the killed worker")
        evidence += [f"twice {e}: runs (pid, finished) {record[e]}" for e in doubles[:20]]
    if dead:
        failures.append(f"{len(dead)} events dead-lettered")
        evidence += [f"dead {e}: {letter['error']}" for e, letter in list(dead.items())[:10]]
    unanswered = figures["never answered 2xx (sender gave up)"]
    if unanswered:
        failures.append(f"{unanswered} deliveries never answered 2xx before the sender's deadline")
    if not all_while_sending:
        failures.append("not every disruption came while deliveries were being sent")
    noted = [e for e in lost + doubles if any(e in line for line in logs)]
    evidence += [line for line in logs if any(e in line for e in noted)][:30]
    evidence += _notable(logs)
    by_pid = Counter(pid for pids in finished.values() for pid in pids)
    workers = ", ".join(
        f"{pid} {n:,}" + (" (killed)" if pid in killed else "") for pid, n in sorted(by_pid.items())
    )
    return SoakResult(figures, failures, disruptions, evidence, workers)


def _notable(logs: list[str]) -> list[str]:
    """The services' warnings and errors: each kind once, with how many times it came."""
    kinds: Counter[str] = Counter()
    first: dict[str, str] = {}
    for line in logs:
        line = line.strip()
        if _NOTABLE.search(line):
            kind = _VARYING.sub("#", line)[:160]
            kinds[kind] += 1
            first.setdefault(kind, line[:200])
    return [f"log x{n}: {first[kind]}" for kind, n in kinds.most_common(15)]
