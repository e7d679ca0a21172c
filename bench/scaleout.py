"""Scale-out check: two app servers on one PostgreSQL database, one killed with SIGKILL mid-run and restarted.

Several clients start smoke projects and complete their first task over HTTP, spread over both servers;
each completion sets a two-second timer, so both servers' timer jobs race to fire it. Halfway,
one server (its whole process group) is killed with SIGKILL and started again. Afterwards the checker
(`engine.tools.consistency`) must find every acknowledged completion stored, every task index agreeing
with its instance's state, and every timer fired exactly once. Exit status 1 when it does not.

    python bench/scaleout.py --database-url postgresql://…/govflow_scaleout_test [--seconds 20] [--clients 4]

The database is emptied first, so its name must end in _test. `tests/webapp/test_scaleout.py` runs a short
version in CI where PostgreSQL is configured.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Bundle, Engine, Settings, install_spiff_patches, make_db_engine  # noqa: E402
from engine.store.db import make_session_factory, unit_of_work  # noqa: E402
from engine.store.models import AuditEvent, InstanceRow  # noqa: E402
from engine.store.schema import upgrade_schema  # noqa: E402
from engine.tools.consistency import check_consistency  # noqa: E402
from engine.tools.testing import _reset  # noqa: E402
from engine.usecases.deployments import deploy_bundle  # noqa: E402
from engine.usecases.users import create_user  # noqa: E402

PASSWORD = "scale-out-check"
SMOKE = ROOT / "tests" / "data" / "bundles" / "smoke"


class Server:
    """One gunicorn server in a process group of its own, so SIGKILL takes the master and its worker."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port, self.env, self.log = port, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it is ready."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{self.port}",
                 "webapp:create_app()"], cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"server on port {self.port} did not become ready; see {self.log}")

    def kill(self) -> None:
        """Kill the server's whole process group at once, as a power cut would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop the server gracefully."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def _call(port: int, method: str, path: str, body: Any = None, token: str | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def prepare(url: str) -> None:
    """Empty the database, create the schema, deploy the smoke bundle and an administrator."""
    db = make_db_engine(url)
    _reset(db)
    upgrade_schema(db)
    install_spiff_patches()
    engine = Engine(Settings(database_url=url))
    with unit_of_work(make_session_factory(db)) as session:
        # The smoke process with a two-second timer: both servers' timer jobs race to fire every one of them.
        texts = Bundle.from_directory(SMOKE, "smoke").as_texts()
        texts["bpmn/smoke.bpmn"] = texts["bpmn/smoke.bpmn"].replace(
            "<bpmn:timeDate>deadline(add_working_days(signedOn, 5))</bpmn:timeDate>",
            '<bpmn:timeDuration>"PT2S"</bpmn:timeDuration>')
        deploy_bundle(engine, session, Bundle.from_texts("smoke", texts), "scaleout")
        create_user(engine, session, "ops", PASSWORD, role="admin", unit="smoke:unit",
                    groups=["smoke:applicant", "smoke:data_bureau"])
    db.dispose()


def run(url: str, seconds: float, clients: int, ports: tuple[int, int]) -> int:
    """Run the check and print what it found; return the exit status."""
    prepare(url)
    work = Path(tempfile.mkdtemp(prefix="govflow-scaleout-"))
    shared = {**os.environ, "GOVFLOW_DATABASE_URL": url, "GOVFLOW_SECRET_KEY": secrets.token_urlsafe(32),
              "GOVFLOW_TIMER_INTERVAL_SECONDS": "1", "PYTHONPATH": str(ROOT)}
    servers = [Server(port, {**shared, "GOVFLOW_INSTANCE_DIR": str(work / str(port))}, work / f"{port}.log")
               for port in ports]
    for server in servers:
        server.start()
    token = _call(ports[0], "POST", "/api/v1/auth/token", {"username": "ops", "password": PASSWORD})[1]["token"]
    signed_on = date.today().isoformat()
    acknowledged: list[str] = []
    refused: list[int] = []
    lock, stop = threading.Lock(), threading.Event()

    def client(number: int) -> None:
        n = 0
        while not stop.is_set():
            port = ports[(number + n) % 2]
            n += 1
            try:
                status, started = _call(port, "POST", "/api/v1/instances", {"process_id": "smoke"}, token)
                if status != 201:
                    refused.append(status)
                    continue
                [task] = _call(port, "GET", f"/api/v1/instances/{started['id']}", token=token)[1]["open_tasks"]
                status, _ = _call(port, "POST", f"/api/v1/tasks/{task['id']}/complete",
                                  {"investmentWan": 100 + number, "signedOn": signed_on}, token,
                                  {"Idempotency-Key": f"c{number}-{n}"})
            except OSError:
                continue  # the server died under the request: not acknowledged, so nothing is owed
            if status == 200:
                with lock:
                    acknowledged.append(task["id"])
            else:
                refused.append(status)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    servers[0].kill()
    killed_at = len(acknowledged)
    time.sleep(1)
    servers[0].start()
    time.sleep(seconds / 2)
    stop.set()
    for thread in threads:
        thread.join()
    time.sleep(5)  # let the timer jobs fire the last due timers
    for server in servers:
        server.stop()
    db = make_db_engine(url)
    engine = Engine(Settings(database_url=url))
    with unit_of_work(make_session_factory(db)) as session:
        report = check_consistency(engine, session, acknowledged)
        unfired = session.scalar(select(func.count()).select_from(InstanceRow).where(
            InstanceRow.next_timer_due_at <= engine.now()))
        fired = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer"))
    db.dispose()
    server_errors = [status for status in refused if status >= 500]
    print(json.dumps({"acknowledged": len(acknowledged), "acknowledged_before_kill": killed_at,
                      "refused": len(refused), "server_errors": len(server_errors), "instances": report.instances,
                      "timers_fired": fired, "due_timers_left": unfired,
                      "consistent": report.consistent, "problems": report.problems[:20]}, indent=1))
    return 0 if report.consistent and acknowledged and not server_errors and not unfired else 1


def main() -> None:
    """Parse the arguments and run the check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("GOVFLOW_SCALEOUT_DATABASE_URL", ""))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--ports", default="5181,5182")
    options = parser.parse_args()
    if not options.database_url.startswith("postgresql"):
        parser.error("give a PostgreSQL --database-url whose database name ends in _test")
    first, second = (int(p) for p in options.ports.split(","))
    raise SystemExit(run(options.database_url, options.seconds, options.clients, (first, second)))


if __name__ == "__main__":
    main()
