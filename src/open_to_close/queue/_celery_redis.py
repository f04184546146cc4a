"""The Celery queue's state in Redis (see ``celery_state.py`` for what it keeps): task
records in one hash, dead letters in another numbered by ``dead_seq``, a ``done`` counter,
and one key per running task's lease that expires by itself."""

from __future__ import annotations

import json
import time
from typing import Any

from .._claims import ClaimStore, RedisClaims
from .._optional import require
from .base import DeadLetterNotFoundError
from .celery_state import PURPOSE

# A lease is renewed or released by its holder only (a copy that took it over after it
# expired keeps it).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
# A task's record goes once, so a duplicate completion (a stale holder) counts nothing.
_DONE = """
if redis.call('hdel', KEYS[1], ARGV[1]) == 1 then redis.call('incr', KEYS[2]) end
return redis.call('del', KEYS[3])
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisState:
    def __init__(self, url: str, prefix: str) -> None:
        redis = require("redis", "redis", PURPOSE)
        self.r: Any = redis.Redis.from_url(url)
        self.prefix = prefix
        self.keys: ClaimStore = RedisClaims(url, prefix=f"{prefix}keys:", purpose=PURPOSE)
        self._tasks, self._dead = f"{prefix}tasks", f"{prefix}dead"
        self._done, self._seq = f"{prefix}done", f"{prefix}dead_seq"
        self._renew = self.r.register_script(_RENEW)
        self._release = self.r.register_script(_RELEASE)
        self._done_script = self.r.register_script(_DONE)

    def _lease(self, task_id: str) -> str:
        return f"{self.prefix}lease:{task_id}"

    def lease(self, task_id: str, holder: str, ttl: float) -> bool:
        return bool(self.r.set(self._lease(task_id), holder, nx=True, px=_ms(ttl)))

    def renew(self, leases: dict[str, str], ttl: float) -> None:
        for task_id, holder in leases.items():
            self._renew(keys=[self._lease(task_id)], args=[holder, _ms(ttl)])

    def release(self, task_id: str, holder: str) -> None:
        self._release(keys=[self._lease(task_id)], args=[holder])

    def enqueued(self, task_id: str, name: str) -> None:
        self.r.hset(self._tasks, task_id, json.dumps({"state": "pending", "starts": 0}))

    def forget(self, task_id: str) -> None:
        self.r.hdel(self._tasks, task_id)

    def started(self, task_id: str, attempt: int) -> int | None:
        # Only the worker holding the task's lease updates its record, so read-modify-write
        # is safe here.
        raw = self.r.hget(self._tasks, task_id)
        record = None if raw is None else json.loads(raw)
        if record is None or int(record.get("failures", 0)) > attempt:
            return None
        starts = int(record["starts"]) + 1
        record.update(state="running", starts=starts, failures=attempt)
        self.r.hset(self._tasks, task_id, json.dumps(record))
        return starts

    def waiting(self, task_id: str) -> None:
        raw = self.r.hget(self._tasks, task_id)
        if raw is not None:
            record = json.loads(raw)
            record.update(state="pending", failures=int(record.get("failures", 0)) + 1)
            self.r.hset(self._tasks, task_id, json.dumps(record))
        self.r.delete(self._lease(task_id))

    def put_back(self, task_id: str) -> None:
        raw = self.r.hget(self._tasks, task_id)
        if raw is not None:
            record = json.loads(raw)
            record.update(state="pending", starts=max(0, int(record["starts"]) - 1))
            self.r.hset(self._tasks, task_id, json.dumps(record))
        self.r.delete(self._lease(task_id))

    def done(self, task_id: str) -> None:
        self._done_script(keys=[self._tasks, self._done, self._lease(task_id)], args=[task_id])

    def bury(self, task_id: str, name: str, payload: Any, error: str, attempts: int) -> None:
        number = int(self.r.incr(self._seq))
        letter = {
            "id": str(number),
            "task_id": task_id,
            "name": name,
            "payload": payload,
            "error": error,
            "attempts": attempts,
            "failed_at": time.time(),
        }
        pipe = self.r.pipeline()
        pipe.hset(self._dead, str(number), json.dumps(letter))
        pipe.hdel(self._tasks, task_id)
        pipe.delete(self._lease(task_id))
        pipe.execute()

    def stats(self) -> dict[str, int]:
        states = [json.loads(raw)["state"] for raw in self.r.hvals(self._tasks)]
        return {
            "pending": states.count("pending"),
            "running": states.count("running"),
            "done": int(self.r.get(self._done) or 0),
            "dead": int(self.r.hlen(self._dead)),
        }

    def dead_letters(self, limit: int | None) -> list[dict[str, Any]]:
        letters = [json.loads(raw) for raw in self.r.hvals(self._dead)]
        letters.sort(key=lambda letter: int(letter["id"]))
        return letters if limit is None else letters[:limit]

    def dead_letter_page(
        self, limit: int, before: int | None, after: int | None
    ) -> list[dict[str, Any]]:
        # Letters are numbered 1, 2, ... (``dead_seq``): walk the numbers next to the cursor
        # in chunks (HMGET), skipping those retried or discarded, until the page is full.
        top = int(self.r.get(self._seq) or 0)
        step = -1 if after is None else 1
        number = (top if before is None else min(before - 1, top)) if after is None else after + 1
        found: list[dict[str, Any]] = []
        while len(found) < limit and 1 <= number <= top:
            chunk = list(range(number, 0 if step < 0 else top + 1, step))[: max(limit * 4, 64)]
            for raw in self.r.hmget(self._dead, [str(n) for n in chunk]):
                if raw is not None and len(found) < limit:
                    found.append(json.loads(raw))
            number = chunk[-1] + step
        return found if after is None else found[::-1]

    def take_dead_letter(self, dead_letter_id: str) -> dict[str, Any]:
        key = str(dead_letter_id)
        raw = self.r.hget(self._dead, key)
        if raw is None or not self.r.hdel(self._dead, key):
            raise DeadLetterNotFoundError(dead_letter_id)
        letter: dict[str, Any] = json.loads(raw)
        return letter

    def close(self) -> None:
        self.keys.close()
        self.r.close()
