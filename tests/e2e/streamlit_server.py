"""Start the app as a real `streamlit run` subprocess and drive Debian's chromium: shared by the browser test
(tests/e2e/test_browser.py) and the app benchmark (bench/bench_app.py)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, runs_dir, log_path: Path | None = None) -> subprocess.Popen:
    """`streamlit run app/streamlit_app.py` on 127.0.0.1:port, runs stored under runs_dir, output to log_path."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RNNLAB_RUNS_DIR": str(runs_dir), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    log = open(log_path, "w") if log_path is not None else subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, process: subprocess.Popen, log_path: Path | None, timeout: float) -> float:
    """Poll /_stcore/health until it answers ok; -> seconds waited. Raises AssertionError with the log tail."""
    def log_tail() -> str:
        return log_path.read_text()[-3000:] if log_path is not None else "(no log kept)"

    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise AssertionError(f"streamlit exited with {process.returncode}:\n{log_tail()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"streamlit did not answer {url}/_stcore/health within {timeout} s:\n{log_tail()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def served_app(runs_dir, artifacts: Path, start_timeout: float = 90.0):
    """A `streamlit run` server for one test module -> its URL, stopped on exit; its log in artifacts/streamlit.log."""
    artifacts.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = artifacts / "streamlit.log"
    process = start_server(port, runs_dir, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log_path, start_timeout)
        yield url
    finally:
        stop_server(process)
