"""The soak's webhook sender: as a real one does, it retries every delivery until a 2xx.

Each delivery is a distinct signed event (Standard Webhooks headers, signed again with a
fresh timestamp on each attempt). A refused connection, a timeout or any answer other than
2xx is retried after an exponential backoff with jitter (50 ms doubling, at most 2 s), so a
503's ``Retry-After: 5`` is not waited out in full: the soak's outages last about 2 s.
Every answer is kept, per delivery, for the report.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from ._helpers import SECRET, event_body

BACKOFF_START = 0.05
BACKOFF_MAX = 2.0


@dataclass
class Delivery:
    event_id: str
    number: int
    answers: list[str] = field(default_factory=list)  # "202 queued", "503", "error ..."
    accepted: str = ""  # the 2xx that ended it: "202 queued" or "200 duplicate"
    accepted_at: float = 0.0  # seconds after the sender started
    task_id: str = ""  # the queue's task id, from a 202

    def describe(self) -> str:
        task = f", task {self.task_id}" if self.task_id else ""
        answers = ", ".join(self.answers)
        return f"{self.event_id}: {answers} (2xx at {self.accepted_at:.2f} s{task})"


class SoakSender:
    """Posts ``count`` deliveries from ``threads`` threads (at most ``rate`` new ones per
    second when given); each is retried until it gets a 2xx or ``deadline`` passes."""

    def __init__(
        self,
        url: str,
        count: int,
        *,
        threads: int = 8,
        rate: float | None = None,
        deadline: float = 300.0,
        timeout: float = 10.0,
    ) -> None:
        self.url, self.threads, self.rate = url, threads, rate
        self.deadline, self.timeout = deadline, timeout
        self.deliveries = [Delivery(f"evt_soak_{uuid.uuid4().hex[:20]}", n) for n in range(count)]
        self._next = 0
        self._accepted = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.started = self.finished = 0.0  # monotonic
        self.wall = 0.0  # time.time() at the start

    def start(self) -> SoakSender:
        self.started, self.wall = time.monotonic(), time.time()
        self._threads = [
            threading.Thread(target=self._work, name=f"soak-sender-{n}", daemon=True)
            for n in range(self.threads)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def join(self) -> None:
        for thread in self._threads:
            thread.join(self.deadline + self.timeout + 5)
        self.finished = time.monotonic()

    def accepted(self) -> int:
        """How many deliveries have had their 2xx so far."""
        with self._lock:
            return self._accepted

    def _take(self) -> Delivery | None:
        with self._lock:
            if self._next >= len(self.deliveries):
                return None
            delivery = self.deliveries[self._next]
            self._next += 1
        if self.rate:
            time.sleep(max(0.0, self.started + delivery.number / self.rate - time.monotonic()))
        return delivery

    def _work(self) -> None:
        import httpx2

        from open_to_close.webhooks import sign_headers

        until = self.started + self.deadline
        with httpx2.Client(timeout=self.timeout) as http:
            while (delivery := self._take()) is not None:
                body = event_body(delivery.event_id, delivery.number)
                attempt = 0
                while time.monotonic() < until:
                    headers = sign_headers(SECRET, body, delivery.event_id)
                    try:
                        answer = http.post(self.url, content=body, headers=headers)
                        status = answer.status_code
                        label = str(status)
                        if 200 <= status < 300:
                            said = answer.json()
                            label += " " + str(said.get("status", ""))
                            delivery.task_id = str(said.get("task_id", ""))
                    except httpx2.TransportError as exc:
                        status, label = 0, f"error {type(exc).__name__}"
                    delivery.answers.append(label)
                    if 200 <= status < 300:
                        delivery.accepted = label
                        delivery.accepted_at = time.monotonic() - self.started
                        with self._lock:
                            self._accepted += 1
                        break
                    pause = min(BACKOFF_MAX, BACKOFF_START * 2**attempt)
                    time.sleep(pause * random.uniform(0.5, 1.0))
                    attempt += 1

    def counts(self) -> dict[str, int]:
        """Answers by kind over every attempt, and the deliveries' outcomes."""
        answers: Counter[str] = Counter()
        for delivery in self.deliveries:
            for label in delivery.answers:
                kind = label.split()[0]
                answers[label if kind.startswith("2") else kind] += 1
        attempts = sum(answers.values())
        return {
            "deliveries": len(self.deliveries),
            "answered 2xx": sum(1 for d in self.deliveries if d.accepted),
            "  as 202 queued": sum(1 for d in self.deliveries if d.accepted == "202 queued"),
            "  as 200 duplicate": sum(1 for d in self.deliveries if d.accepted == "200 duplicate"),
            "never answered 2xx (sender gave up)": sum(
                1 for d in self.deliveries if not d.accepted
            ),
            "attempts": attempts,
            "retries": attempts - len(self.deliveries),
            "  answered 503": answers["503"],
            "  answered 409": answers["409"],
            "  connection errors": answers["error"],
            "  other answers": attempts
            - answers["503"]
            - answers["409"]
            - answers["error"]
            - sum(n for label, n in answers.items() if label.startswith("2")),
        }
