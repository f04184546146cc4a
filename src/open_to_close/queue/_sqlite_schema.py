"""The embedded queue's tables and the statements its hot paths run (see ``sqlite.py``)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS otc_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    payload TEXT NOT NULL,
    running INTEGER NOT NULL DEFAULT 0, -- 0 waiting, 1 claimed, 2 started
    run_at REAL NOT NULL,
    token INTEGER,
    failures INTEGER NOT NULL DEFAULT 0,
    lost INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS otc_tasks_due ON otc_tasks (run_at);
CREATE TABLE IF NOT EXISTS otc_dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    payload TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS otc_task_keys (
    key TEXT PRIMARY KEY,
    task_id INTEGER NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS otc_queue_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""

CLAIM = """
UPDATE otc_tasks SET running = 1, run_at = :lease, token = :token, lost = lost + (running = 2)
WHERE id IN (SELECT id FROM otc_tasks WHERE run_at <= :now ORDER BY run_at, id LIMIT :n)
RETURNING id, name, payload, failures, lost
"""
DEAD = (
    "INSERT INTO otc_dead_letters (task_id, name, payload, error, attempts, failed_at)"
    " SELECT id, name, payload, ?, ?, ? FROM otc_tasks WHERE id = ? AND token = ?"
)
START = "UPDATE otc_tasks SET running = 2 WHERE id = ? AND token = ?"
DONE = "UPDATE otc_queue_counters SET value = value + ? WHERE name = 'done'"
