"""The console under test: a real ``otc serve`` in a subprocess, against a sandbox of its
own, with its state, queue and sync files in one directory.

Each test module starts one (``start_console``) so its pages show only what that module
made. The sync jobs run once at start (``every = "1h"``) and again from "run now".
"""

from __future__ import annotations

import json
import signal
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from open_to_close import OpenToCloseAPI
from open_to_close.sandbox import SandboxServer
from tests.service._helpers import (
    REPO,
    SECRET,
    ServiceProcess,
    service_env,
    start_service,
    write_config,
)

TOKEN = "console-token-b7e41f9a2c0d"
API_KEY = "console-key-91c3e5"


@dataclass
class Console:
    """One running ``otc serve`` with its console; ``url`` is ``http://127.0.0.1:port``."""

    home: Path
    sandbox: SandboxServer
    process: ServiceProcess
    extra: list[ServiceProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def queue_url(self) -> str:
        return f"sqlite:///{self.home / 'queue.db'}"

    @property
    def state_url(self) -> str:
        return f"sqlite:///{self.home / 'state.db'}"

    def api(self) -> OpenToCloseAPI:
        """A client of the same sandbox: "the other system" editing Open To Close."""
        return OpenToCloseAPI(API_KEY, self.sandbox.base_url, retry_backoff=0.01)

    def log(self) -> str:
        return "\n".join(p.text() for p in [self.process, *self.extra])

    def stop(self) -> None:
        processes = [*self.extra, self.process]
        for process in processes:  # all at once: each drains in its own time
            if process.process.poll() is None:
                process.process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.terminate(timeout=15)
            except Exception:
                process.kill()


def job_toml(name: str, source: Path, direction: str = "push", strategy: str = "") -> str:
    """One ``[[sync.jobs]]`` table that runs at start and then only from "run now"."""
    lines = [
        "[[sync.jobs]]",
        f"name = {json.dumps(name)}",
        f"direction = {json.dumps(direction)}",
        f"source = {json.dumps(str(source))}",
        'every = "1h"',
    ]
    if strategy:
        lines.append(f"strategy = {json.dumps(strategy)}")
    return "\n".join(lines) + "\n"


def config_toml(
    home: Path,
    sandbox: SandboxServer,
    jobs: str = "",
    handlers: str = "",
    extra: str = "",
    api_url: str = "",
) -> str:
    return (
        f'[api]\nbase_url = "{api_url or sandbox.base_url}"\n\n'
        f'[webhooks]\nsecret_env = "OTC_WEBHOOK_SECRET"\n\n'
        f"[webhooks.handlers]\n{handlers}\n"
        f'[queue]\nurl = "sqlite:///{home / "queue.db"}"\nconcurrency = 2\n\n'
        f'[state]\nurl = "sqlite:///{home / "state.db"}"\n\n'
        '[server]\nhost = "127.0.0.1"\nport = 0\nshutdown_grace = "2s"\n\n'
        f"{jobs}\n{extra}"
    )


def env(record_url: str = "sqlite://", **extra: str) -> dict[str, str]:
    """The service's environment; ``record_url`` is where ``tests.service._helpers:record``
    counts the events it handled."""
    return service_env(record_url, OPEN_TO_CLOSE_API_KEY=API_KEY, OTC_CONSOLE_TOKEN=TOKEN, **extra)


def start_sandbox() -> SandboxServer:
    return SandboxServer(api_key=API_KEY, webhook_secret=SECRET).start()


def start_console(
    home: Path,
    sandbox: SandboxServer,
    *,
    jobs: str = "",
    handlers: str = "",
    roles: tuple[str, ...] = (),
    subscribe: bool = True,
    record_url: str = "sqlite://",
    extra: str = "",
    api_url: str = "",
) -> Console:
    """``otc serve`` on a free port with the console's token set; waits until it serves.

    With ``subscribe`` the sandbox sends its webhooks to the service, as the guide's setup
    does, so events reach the event journal. ``api_url`` points the service elsewhere (a
    closed port: the API is down)."""
    home.mkdir(parents=True, exist_ok=True)
    config = write_config(
        home / "otc.toml", config_toml(home, sandbox, jobs, handlers, extra, api_url)
    )
    process = start_service(config, roles, env(record_url), home)
    try:
        process.wait_started(timeout=40)
    except Exception:
        process.kill()
        raise
    console = Console(home, sandbox, process)
    if subscribe:
        sandbox.subscribe(console.url + "/webhook/otc", retry_backoff=0.1)
    return console


def start_worker(console: Console, module: str) -> ServiceProcess:
    """``otc worker`` on the console's queue, running the tasks of ``module`` (the
    integration's own tasks, beside the service's web role)."""
    import subprocess

    log = console.home / f"worker-{uuid.uuid4().hex[:8]}.log"
    command = [sys.executable, "-c", "from open_to_close.cli import main; main()", "worker"]
    command += ["--queue", console.queue_url, "--import", module, "--concurrency", "1"]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=env(OTC_QUEUE_URL=console.queue_url),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    worker = ServiceProcess(process, log)
    console.extra.append(worker)
    return worker


def signed_delivery(url: str, event: dict[str, Any]) -> int:
    """POST one signed webhook delivery to ``url``; the status code."""
    import httpx2

    from open_to_close.webhooks import sign_headers

    body = json.dumps(event, separators=(",", ":")).encode()
    headers = sign_headers(SECRET, body, str(event["id"]))
    return httpx2.post(url, content=body, headers=headers, timeout=10).status_code
