"""The local AWS emulator: a moto server process on loopback, its state file, health and shutdown.

`.local/emulator.json` ({"endpoint_url", "port", "pid"}) tells every script where the emulator is;
tests start their own emulator on a free port and pass `state_file=None` so they never touch it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamctl.stack_outputs import EMULATOR_STATE_FILE, LOCAL_STATE_DIR, REPO_ROOT

DEFAULT_PORT = 4566
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0


class EmulatorError(RuntimeError):
    """The emulator could not be started, reached or stopped; the message says what to do."""


def local_api(endpoint_url: str, path: str, method: str, body: Any = None, query: str = "") -> Any:
    """JSON of one of the emulator process's own routes (`/moto-api/local/...`), or None from a server without it."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint_url}{path}{query}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


@dataclass(frozen=True)
class Emulator:
    """A running emulator process."""

    endpoint_url: str
    port: int
    pid: int

    def as_state(self) -> dict[str, object]:
        return {"endpoint_url": self.endpoint_url, "port": self.port, "pid": self.pid}


def free_port() -> int:
    """A loopback port nobody listens on now (tests run in parallel, so never a fixed one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def is_healthy(endpoint_url: str, timeout_s: float = 1.0) -> bool:
    """True when a moto server answers its management API at `endpoint_url`."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}/moto-api/config", timeout=timeout_s) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError):
        return False


def is_emulator_process(pid: int) -> bool:
    """True only for a live process running our emulator module (a stale state file may name a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _pid_alive(pid) and not Path("/proc").is_dir()  # no procfs (macOS): trust the pid
    return b"emulator.server_process" in command


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(state_file: Path = EMULATOR_STATE_FILE) -> Emulator | None:
    if not state_file.exists():
        return None
    state = json.loads(state_file.read_text())
    return Emulator(endpoint_url=str(state["endpoint_url"]), port=int(state["port"]), pid=int(state["pid"]))


def running_emulator(state_file: Path = EMULATOR_STATE_FILE) -> Emulator | None:
    """The emulator named by the state file if it is alive and answering, else None."""
    emulator = read_state(state_file)
    if emulator is None or not _pid_alive(emulator.pid) or not is_healthy(emulator.endpoint_url):
        return None
    return emulator


def start_emulator(
    port: int = DEFAULT_PORT, *, state_file: Path | None = EMULATOR_STATE_FILE, log_dir: Path = LOCAL_STATE_DIR
) -> Emulator:
    """Start moto's server in the background on loopback and wait until it answers."""
    endpoint_url = f"http://{HOST}:{port}"
    if is_healthy(endpoint_url):
        raise EmulatorError(f"something already answers on {endpoint_url}; `streamctl local stop` or pick --port")
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"emulator-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.server_process", "--host", HOST, "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # survives the command that started it, like `localstack start -d`
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not is_healthy(endpoint_url):
        if process.poll() is not None:
            raise EmulatorError(f"the emulator exited with code {process.returncode}; see {log.name}")
        if time.monotonic() > deadline:
            process.terminate()
            raise EmulatorError(f"the emulator did not answer on {endpoint_url} within {START_TIMEOUT_S:.0f}s")
        time.sleep(0.1)
    emulator = Emulator(endpoint_url=endpoint_url, port=port, pid=process.pid)
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(emulator.as_state()) + "\n")
    return emulator


def stop_emulator(emulator: Emulator, *, state_file: Path | None = EMULATOR_STATE_FILE) -> None:
    """Terminate the emulator process (its state is in memory and goes with it) and forget it."""
    if is_emulator_process(emulator.pid):
        os.kill(emulator.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(emulator.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(emulator.pid, os.WNOHANG)
            time.sleep(0.05)
        if is_emulator_process(emulator.pid):
            os.kill(emulator.pid, signal.SIGKILL)
    if state_file is not None and state_file.exists():
        state_file.unlink()


def require_endpoint(state_file: Path = EMULATOR_STATE_FILE) -> str:
    """The running emulator's endpoint, or an error that says how to start one."""
    emulator = running_emulator(state_file)
    if emulator is None:
        raise EmulatorError("the local emulator is not running: start it with `streamctl local start`")
    return emulator.endpoint_url
