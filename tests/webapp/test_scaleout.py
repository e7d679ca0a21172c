"""A short scale-out check on PostgreSQL: two servers, one killed with SIGKILL and restarted, nothing lost."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import _configured_url

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_two_servers_one_killed_lose_no_acknowledged_completion_and_fire_each_timer_once() -> None:
    url = _configured_url()
    if not url.startswith("postgresql"):
        pytest.skip("the scale-out check needs PostgreSQL (GOVFLOW_TEST_DATABASE_URL)")
    ports = f"{_free_port()},{_free_port()}"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "scaleout.py"), "--database-url", url,
                             "--seconds", "6", "--clients", "3", "--ports", ports],
                            cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["acknowledged"] > 0 and summary["acknowledged_before_kill"] > 0
    assert summary["timers_fired"] >= summary["acknowledged"] and summary["due_timers_left"] == 0
    assert summary["consistent"] and summary["server_errors"] == 0
