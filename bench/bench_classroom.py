"""Benchmark a classroom on one server (not a test): N students press "Load and train" at once.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_classroom.py --sessions 10
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_classroom.py --sessions 3          # a smoke run
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_classroom.py --sessions 6 --capacity 2 --lesson sine,parity
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_classroom.py --sessions 10 --seeded   # swaps caught too
    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python bench/bench_classroom.py --sessions 10 \
        --server-env STREAMLIT_RUNNER_POST_SCRIPT_GC=false --dump-stacks                   # try a setting, diagnose

Starts a real `streamlit run` server on 127.0.0.1 (tests/e2e/streamlit_server.py; its own run store in a
temporary folder; ``--capacity`` as $RNNLAB_MAX_TRAININGS, else the server's default of half the cores), then one
Debian chromium driven by Playwright with one browser context per session (a student: its own cookies, its own
Streamlit session). Every session opens the Lessons page; once all are open they click the lesson's "Load and
train" together (``--stagger`` spreads the clicks) and wait, at most ``--timeout`` seconds each, for their own
result on the Train page; the whole run is bounded too. Meanwhile one thread asks /_stcore/health every 0.25 s
(its latency, a 10 s limit per request) and another samples every 0.5 s the server's memory (VmRSS and VmHWM of
its process and children, from /proc) and the CPU time of the server, of chromium, and of the rest of the machine.

A session's result is its own when: the result heading is the session's first run of its lesson's experiment
(``Result: run #1 sine: lstm(16)``), its run id (from the history download's file name) is no other session's,
no error box or exception shows in the page, and the training ended normally ("Trained N epochs"). Every "Load
and train" trains the lesson's preset with the preset's seed, so a seed in the URL cannot tell sessions apart;
``--seeded`` instead opens, per session, a shared link to the Train page with the lesson's experiment and a seed
of its own and presses Start training: the trained model's file name then carries the hash of the very spec
(seed included) that session asked for, so a result handed to the wrong session is caught even between
sessions of the same lesson. (That model download is deferred by Streamlit and can fail on a busy server; a
session clicks it up to three times and each failed click is a note in its line.)

Prints a table (sessions, capacity, the line, page open and click -> result times min / median / max, errors,
health latency median / p95 / max, server RSS, CPU seconds) and one line per session (failed ones with a
screenshot); exits 1 when a target is missed: every session its own result (0 errors) and every health check
answered within 1 s. A note says when other processes took a fifth of the machine or more (a shared machine:
rerun before trusting a miss).

One chromium with N contexts, not N browsers: measured at 10 sessions it takes 0.6-0.8 of a core (77-110 CPU s
per run, more than the server's 48-61 s), and N browser processes would add N start-ups and N sets of helper
processes on the same 2 cores. Students' browsers run on their own machines, so this is pessimistic for the
server; ``--browser-cpus 1`` pins chromium (taskset) off CPU 0 to keep it from the server's cores (nice cannot:
chromium sets its threads' priorities itself), and the table shows the browser's CPU beside the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from streamlit_server import BROWSER_ARGS, CHROMIUM, free_port, start_server, stop_server, wait_healthy  # noqa: E402

#: Targets of the issue ("10 sessions, 0 errors, health under 1 s throughout, every session gets its own result").
HEALTH_TARGET_S = 1.0
HEALTH_EVERY_S = 0.25
HEALTH_REQUEST_TIMEOUT_S = 10.0
SAMPLE_EVERY_S = 0.5
SERVER_START_S = 120.0
OPEN_TIMEOUT_S = 180.0  # every session's Lessons page open and idle
POLL_MS = 400  # how often a waiting session looks at its page
#: The run's download (its file name names the run): seconds to wait after each click, up to three clicks. A
#: deferred download (the .keras file) can fail on a busy server: another session's script run prunes the file
#: Streamlit has just made before the browser fetches it (seen with Streamlit 1.67), so a student clicks again.
DOWNLOAD_WAITS_S = (30.0, 30.0, 60.0)
STALL_S = 3.0  # --dump-stacks: a health check this slow (or failed) dumps the server's threads into its log
DUMP_EVERY_S = 15.0
MAX_DUMPS = 4
#: --dump-stacks: put on the server's PYTHONPATH, so SIGUSR1 makes it print every thread's stack (no app change).
SITECUSTOMIZE = """import faulthandler, signal, sys
faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
"""

#: The Train page's downloads name the run: rnnlab-<spec hash>-<run id>.keras and rnnlab-history-<run id>.csv.
DOWNLOAD_NAME = re.compile(r"rnnlab-(?:history-|(?P<spec>[0-9a-f]+)-)(?P<run>[0-9a-f]+)\.(?:csv|keras)")

IDLE_JS = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')")

#: Waits for the session's result; on the way records its place in line and the server's "r of C running".
WATCH_JS = r"""
() => {
  const w = window.__classroom || (window.__classroom = {place: 0, running: 0, capacity: 0});
  for (const bar of document.querySelectorAll('[data-testid="stProgress"]')) {
    const text = bar.innerText || '';
    const line = text.match(/number (\d+) in line \((\d+) of (\d+) trainings running/);
    if (line) {
      w.place = Math.max(w.place, +line[1]);
      w.running = Math.max(w.running, +line[2]);
      w.capacity = +line[3];
    }
  }
  const heading = [...document.querySelectorAll('h3')].map((h) => h.innerText.trim())
    .find((t) => t.startsWith('Result: run'));
  const broken = document.querySelector('[data-testid="stException"], [data-testid="stAlertContentError"]');
  if (heading) return {result: heading, ...w};
  if (broken) return {error: broken.innerText.slice(0, 500), ...w};
  return false;
}
"""


# ------------------------------------------------------------------------------------------ records


@dataclass
class Session:
    index: int
    lesson: str
    expected_label: str
    seed: int | None = None  # --seeded: the session's own seed
    expected_hash: str | None = None  # --seeded: short_hash of the spec this session asked for
    open_s: float | None = None  # goto -> Lessons page interactive (or the Train page, --seeded)
    result_s: float | None = None  # click -> its result heading shown
    label: str | None = None
    run_id: str | None = None
    spec_hash: str | None = None
    outcome: str | None = None  # the Train page's end message
    place: int = 0  # the highest place in line it was shown (0: never waited)
    running_seen: int = 0  # the most trainings it saw running on the server while it waited
    capacity_seen: int = 0  # the capacity the page named while it waited
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # odd but not failed (e.g. a download that needed a second click)
    screenshot: str | None = None

    @property
    def own_result(self) -> bool:
        return self.label is not None and not self.errors


@dataclass
class Outcome:
    sessions: list[Session]
    capacity: int  # the capacity the server was started with
    health: list[tuple[float, float, bool]]  # (seconds since the first page began to open, latency, answered)
    rss_peak_mb: float  # the highest sum of VmRSS over the server's process tree
    hwm_mb: float  # the kernel's high-water mark (VmHWM) of the server's processes, summed
    rss_start_mb: float
    cpu_s: dict  # CPU seconds during the load: server, chromium, driver (node), bench, others (the rest)
    wall_s: float  # first page opened -> last session done
    server_log: str
    mode: str
    server_env: dict = field(default_factory=dict)
    browser_cpus: str = ""  # chromium pinned to these CPUs ("": not pinned)
    timeout: float = 0.0  # the bound on each session's click -> result
    stack_dumps: int = 0  # --dump-stacks: how many times the server's stacks went into its log

    # -- summaries
    def times(self) -> list[float]:
        return [s.result_s for s in self.sessions if s.result_s is not None]

    def errors(self) -> int:
        return sum(1 for s in self.sessions if s.errors)

    def own_results(self) -> int:
        """Sessions that showed a result that is theirs (checked, and a run id no other session showed)."""
        shared = set(self.duplicated_runs())
        return sum(1 for s in self.sessions if s.own_result and s.run_id not in shared)

    def duplicated_runs(self) -> list[str]:
        ids = [s.run_id for s in self.sessions if s.run_id]
        return sorted({i for i in ids if ids.count(i) > 1})

    def others_share(self) -> float:
        """The share of the machine's CPU (all cores, over the run) taken by processes that are not this benchmark's."""
        return self.cpu_s.get("others", 0.0) / max(self.wall_s * (os.cpu_count() or 1), 1e-9)

    def latencies(self) -> list[float]:
        return [latency for _, latency, _ in self.health]

    def health_failures(self) -> int:
        return sum(1 for _, latency, ok in self.health if not ok or latency >= HEALTH_TARGET_S)

    def misses(self) -> list[str]:
        """The targets missed, in words (empty: all met)."""
        missed = []
        if self.own_results() < len(self.sessions):
            missed.append(f"{len(self.sessions) - self.own_results()} of {len(self.sessions)} sessions without their "
                          "own result")
        if self.duplicated_runs():
            missed.append(f"sessions share runs {self.duplicated_runs()}")
        if not self.health:
            missed.append("no health sample")
        elif max(self.latencies()) >= HEALTH_TARGET_S or self.health_failures():
            missed.append(f"health: {self.health_failures()} of {len(self.health)} checks took >= "
                          f"{HEALTH_TARGET_S:g} s or failed (max {max(self.latencies()):.2f} s)")
        return missed


# ---------------------------------------------------------------------------------------- monitors


def _proc_table() -> dict[int, tuple[int, str, int, int]]:
    """pid -> (ppid, comm, utime + stime ticks, start time ticks) of every process readable now."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                text = handle.read()
        except OSError:
            continue
        close = text.rfind(")")
        comm = text[text.find("(") + 1:close]
        fields = text[close + 2:].split()
        # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22
        table[int(name)] = (int(fields[1]), comm, int(fields[11]) + int(fields[12]), int(fields[19]))
    return table


def _descendants(table, root: int) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, *_rest) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return found & set(table)


def _busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores; /proc/stat, idle and iowait excluded)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Monitor:
    """Two threads: /_stcore/health every HEALTH_EVERY_S (latency), and every SAMPLE_EVERY_S the server tree's
    VmRSS / VmHWM and the CPU ticks of the server, the chromium processes and the Playwright driver."""

    def __init__(self, url: str, server_pid: int, on_stall=None):
        """``on_stall``: called (in the health thread) after a health check that failed or took STALL_S or more."""
        self.url, self.server_pid, self.on_stall = url, server_pid, on_stall
        self.health: list[tuple[float, float, bool]] = []
        self.rss_peak_kb = 0
        self.hwm_kb = 0
        self.rss_start_kb = 0
        self._ticks: dict[tuple[int, int], tuple[str, int, int]] = {}  # (pid, start) -> (kind, first, last)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._health, daemon=True, name="classroom-health"),
                         threading.Thread(target=self._sample, daemon=True, name="classroom-sample")]
        self.started = time.perf_counter()
        self._busy_start: float | None = None
        self._busy = 0.0

    def start(self) -> Monitor:
        self._busy_start = _busy_seconds()
        self._sample_once()
        self.rss_start_kb = self.rss_peak_kb
        self.started = time.perf_counter()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join(HEALTH_REQUEST_TIMEOUT_S + 5)
        self._sample_once()
        if self._busy_start is not None:
            self._busy = _busy_seconds() - self._busy_start

    def _health(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            ok = False
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=HEALTH_REQUEST_TIMEOUT_S) as response:
                    ok = response.status == 200 and response.read().strip() == b"ok"
            except OSError:
                ok = False
            latency = time.perf_counter() - start
            self.health.append((start - self.started, latency, ok))
            if self.on_stall is not None and (not ok or latency >= STALL_S):
                self.on_stall()
            self._stop.wait(max(0.0, HEALTH_EVERY_S - latency))

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self._sample_once()

    def _sample_once(self) -> None:
        table = _proc_table()
        server = _descendants(table, self.server_pid)
        mine = _descendants(table, os.getpid()) - server
        rss = sum(_status_kb(pid, "VmRSS") for pid in server)
        self.rss_peak_kb = max(self.rss_peak_kb, rss)
        self.hwm_kb = max(self.hwm_kb, sum(_status_kb(pid, "VmHWM") for pid in server))
        for pid in server | mine:
            _ppid, comm, ticks, start = table[pid]
            if pid in server:
                kind = "server"
            elif pid == os.getpid():
                kind = "bench"
            elif "chrom" in comm or "headless" in comm:
                kind = "chromium"
            elif "node" in comm or "playwright" in comm:
                kind = "driver"
            else:
                continue
            key = (pid, start)
            first = self._ticks[key][1] if key in self._ticks else ticks
            self._ticks[key] = (kind, first, ticks)

    def cpu_seconds(self) -> dict:
        """CPU seconds spent by kind since start() (a process born later counts from its first sample)."""
        hz = os.sysconf("SC_CLK_TCK")
        totals = {"server": 0.0, "chromium": 0.0, "driver": 0.0, "bench": 0.0}
        for kind, first, last in self._ticks.values():
            totals[kind] += (last - first) / hz
        totals["others"] = max(0.0, self._busy - sum(totals.values()))  # the rest of the machine
        return totals


# ------------------------------------------------------------------------------------------ sessions


def plan(n: int, lessons: list[str], seeded: bool) -> list[Session]:
    """Session i trains lessons[i % len(lessons)]; --seeded: with seed = the preset's seed + 1 + i."""
    from rnnlab.experiments import PRESETS
    from rnnlab.experiments import lessons as lesson_module

    known = {lesson.key: lesson for lesson in lesson_module.LESSONS}
    unknown = [key for key in lessons if key not in known]
    if unknown:
        raise SystemExit(f"unknown lesson(s) {unknown}; expected some of {sorted(known)}")
    sessions = []
    for i in range(n):
        key = lessons[i % len(lessons)]
        spec = PRESETS[known[key].preset]
        session = Session(index=i, lesson=key, expected_label=f"Result: run #1 {spec.describe()}")
        if seeded:
            session.seed = int(spec.seed) + 1 + i
            session.expected_hash = spec.replace(seed=session.seed).short_hash()
        sessions.append(session)
    return sessions


def seeded_link(url: str, session: Session) -> str:
    from rnnlab.experiments import PRESETS
    from rnnlab.experiments import lessons as lesson_module

    lesson = next(item for item in lesson_module.LESSONS if item.key == session.lesson)
    query = {**PRESETS[lesson.preset].replace(seed=session.seed).to_query(), "lesson": session.lesson}
    return f"{url}/train?{urllib.parse.urlencode(query)}"


def _describe(error: BaseException) -> str:
    """'TimeoutError: <first line>' (+ where it was raised, for an error of this file's own)."""
    lines = str(error).splitlines()
    text = f"{type(error).__name__}: {lines[0][:300] if lines else ''}"
    frames = traceback.extract_tb(error.__traceback__)
    if frames and frames[-1].filename == __file__:
        text += f" (bench_classroom.py line {frames[-1].lineno})"
    return text


async def _screenshot(page, session: Session, artifacts: Path, what: str = "") -> None:
    try:
        path = artifacts / f"session-{session.index:02d}{'-' + what if what else ''}.png"
        await page.screenshot(path=str(path), full_page=True, timeout=15_000)
        if not what:
            session.screenshot = str(path)
    except Exception as error:  # noqa: BLE001 - a screenshot is a courtesy; the error is already recorded
        session.notes.append(f"no screenshot: {type(error).__name__}")


async def open_page(browser, url: str, session: Session, seeded: bool):
    """A new context (one student) -> its page, open and idle on the Lessons page (the Train page, --seeded)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(OPEN_TIMEOUT_S * 1000)
    start = time.perf_counter()
    if seeded:
        await page.goto(seeded_link(url, session))
        await page.locator(".st-key-train_start button").wait_for(state="visible")
    else:
        await page.goto(url)
        await page.locator(f".st-key-lessons_train_{session.lesson} button").wait_for(state="visible")
    await page.wait_for_function(IDLE_JS, polling=200)
    session.open_s = time.perf_counter() - start
    return context, page


async def train_and_check(page, session: Session, seeded: bool, timeout: float, artifacts: Path) -> None:
    """Click, wait for this session's result, then check it is this session's own (see the module's docstring)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    page.set_default_timeout(timeout * 1000)
    button = ".st-key-train_start button" if seeded else f".st-key-lessons_train_{session.lesson} button"
    start = time.perf_counter()
    await page.locator(button).click()
    try:
        handle = await page.wait_for_function(WATCH_JS, polling=POLL_MS, timeout=timeout * 1000)
    except PlaywrightTimeout:
        seen = await page.evaluate(WATCH_JS) or await page.evaluate("() => window.__classroom || {}")
        session.place, session.running_seen = seen.get("place", 0), seen.get("running", 0)
        session.capacity_seen = seen.get("capacity", 0)
        bars = " | ".join(await page.locator("[data-testid='stProgress']").all_inner_texts())
        session.errors.append(f"no result within {timeout:g} s; the page shows: {bars.strip() or '(no progress bar)'}")
        return
    seen = await handle.json_value()
    session.place, session.running_seen, session.capacity_seen = seen["place"], seen["running"], seen["capacity"]
    if "error" in seen:
        session.errors.append(f"error in the page while waiting: {seen['error']}")
        return
    session.result_s = time.perf_counter() - start
    await page.wait_for_function(IDLE_JS, polling=200)
    label = seen["result"]
    if label != session.expected_label:
        session.errors.append(f"the result is {label!r}, expected {session.expected_label!r}")
    broken = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    for text in await broken.all_inner_texts():
        session.errors.append(f"error box: {text[:300]}")
    session.outcome = " | ".join(await page.locator("[data-testid='stAlertContentSuccess'],"
                                                    " [data-testid='stAlertContentWarning']").all_inner_texts())
    if "Trained" not in session.outcome:
        session.errors.append(f"the training did not end normally: {session.outcome[:300]!r}")
    # the run's own id (and, --seeded, the hash of the spec it was trained on) from a download's file name
    which = "train_model_download" if seeded else "train_history_download"
    found = None
    for attempt, wait_s in enumerate(DOWNLOAD_WAITS_S, start=1):
        try:
            async with page.expect_download(timeout=wait_s * 1000) as info:
                await page.locator(f".st-key-{which} button").click()
            download = await info.value
            name = download.suggested_filename  # rnnlab-<spec hash>-<run id>.keras | rnnlab-history-<run id>.csv
            failure = await asyncio.wait_for(download.failure(), wait_s)  # waits for the file; None: it came
            if failure is None:
                found = DOWNLOAD_NAME.fullmatch(name)
            problem = (f"failed in the browser ({failure}), named {name!r}" if failure is not None else
                       None if found else f"came as {name!r}, not as the run's file")
            with contextlib.suppress(Exception):  # a failed download may have no file to delete
                await download.delete()
        except (PlaywrightTimeout, TimeoutError):
            problem = f"gave no file within {wait_s:g} s"
        if problem is None:
            break
        session.notes.append(f"download click {attempt} {problem}")
        await _screenshot(page, session, artifacts, f"download-{attempt}")
        await page.wait_for_function(IDLE_JS, polling=200)
    if found is None:
        session.errors.append(f"the run's download never came right ({len(DOWNLOAD_WAITS_S)} clicks)")
        return
    session.run_id, session.spec_hash = found["run"], found["spec"]
    if seeded and session.spec_hash != session.expected_hash:
        session.errors.append(f"the model was trained on spec {session.spec_hash}, this session asked for "
                              f"{session.expected_hash} (seed {session.seed}): another session's result")
    session.label = label


def browser_executable(folder: Path, cpus: str | None) -> str:
    """Debian's chromium, or (``cpus``, e.g. "1") a wrapper that pins it and all its processes to those CPUs
    with taskset, so it can never take the cores the server runs on. (nice cannot do it: chromium sets its
    threads' nice values itself.)"""
    if not cpus:
        return CHROMIUM
    wrapper = folder / "chromium-pinned"
    wrapper.write_text(f'#!/bin/sh\nexec taskset -c {cpus} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def _drive(url: str, sessions: list[Session], *, seeded: bool, timeout: float, stagger: float,
                 artifacts: Path, monitor: Monitor, executable: str, on_error=None) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True, args=BROWSER_ARGS)
        try:
            monitor.start()

            async def opened(session):
                try:
                    return await asyncio.wait_for(open_page(browser, url, session, seeded), OPEN_TIMEOUT_S + 10)
                except Exception as error:  # noqa: BLE001 - recorded per session
                    session.errors.append(f"the page did not open: {_describe(error)}")
                    return None

            pages = await asyncio.gather(*(opened(s) for s in sessions))

            async def trained(session, opened_page):
                if opened_page is None:
                    return
                _context, page = opened_page
                await asyncio.sleep(stagger * session.index)
                try:
                    await asyncio.wait_for(train_and_check(page, session, seeded, timeout, artifacts),
                                           timeout + sum(DOWNLOAD_WAITS_S) + 60)
                except Exception as error:  # noqa: BLE001 - recorded per session
                    session.errors.append(f"no result: {_describe(error)}")
                if (session.errors or session.notes) and on_error is not None:
                    on_error()  # --dump-stacks: what the server is doing while this session is stuck
                if session.errors:
                    await _screenshot(page, session, artifacts)

            # each session is bounded above; this bound only guards against a hang in the harness itself
            overall = stagger * len(sessions) + timeout + sum(DOWNLOAD_WAITS_S) + 120
            tasks = [asyncio.ensure_future(trained(s, p)) for s, p in zip(sessions, pages)]
            _done, pending = await asyncio.wait(tasks, timeout=overall)
            for task in pending:
                task.cancel()
            for session, task in zip(sessions, tasks):
                if task in pending:
                    session.errors.append(f"still running at the overall bound of {overall:g} s")
        finally:
            await browser.close()


def run_classroom(sessions: int = 10, *, capacity: int | None = None, lessons=("sine",), timeout: float = 300.0,
                  stagger: float = 0.0, seeded: bool = False, artifacts: Path | None = None,
                  server_env: dict[str, str] | None = None, browser_cpus: str | None = None,
                  dump_stacks: bool = False) -> Outcome:
    """The benchmark's core: a server, ``sessions`` browser sessions that each train a lesson, the monitors.
    ``capacity``: $RNNLAB_MAX_TRAININGS for the server (None: the server's default). ``timeout``: seconds a
    session may wait for its result after its click. ``server_env``: more environment for the server (e.g.
    ``{"STREAMLIT_RUNNER_POST_SCRIPT_GC": "false"}`` to try a Streamlit setting). ``browser_cpus``: pin chromium
    to these CPUs (taskset list). ``dump_stacks``: when the server stalls, its threads' stacks go into its log."""
    lessons = list(lessons)
    planned = plan(sessions, lessons, seeded)
    artifacts = Path(artifacts or tempfile.mkdtemp(prefix="classroom-"))
    artifacts.mkdir(parents=True, exist_ok=True)
    extra = dict(server_env or {})
    if capacity is not None:
        extra["RNNLAB_MAX_TRAININGS"] = str(capacity)
    if dump_stacks:
        (artifacts / "sitecustomize.py").write_text(SITECUSTOMIZE)
        extra["PYTHONPATH"] = os.pathsep.join(filter(None, [str(artifacts), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix="classroom-runs-") as runs:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = artifacts / "streamlit.log"
        before = {name: os.environ.get(name) for name in extra}
        os.environ.update(extra)  # start_server hands this process's environment to the server
        try:
            server = start_server(port, runs, log_path)
            from app.session.slots import default_capacity

            capacity = default_capacity()  # what the server reads from the same environment
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        dumps: list[float] = []

        def dump_stacks_now() -> None:
            now = time.perf_counter()
            if len(dumps) < MAX_DUMPS and (not dumps or now - dumps[-1] >= DUMP_EVERY_S) and server.poll() is None:
                dumps.append(now)
                os.kill(server.pid, signal.SIGUSR1)

        monitor = Monitor(url, server.pid, on_stall=dump_stacks_now if dump_stacks else None)
        try:
            wait_healthy(url, server, log_path, SERVER_START_S)
            start = time.perf_counter()
            asyncio.run(_drive(url, planned, seeded=seeded, timeout=timeout, stagger=stagger, artifacts=artifacts,
                               monitor=monitor, executable=browser_executable(artifacts, browser_cpus),
                               on_error=dump_stacks_now if dump_stacks else None))
            wall = time.perf_counter() - start
        finally:
            monitor.stop()
            stop_server(server)
    return Outcome(sessions=planned, capacity=capacity, health=list(monitor.health),
                   rss_peak_mb=monitor.rss_peak_kb / 1024, hwm_mb=monitor.hwm_kb / 1024,
                   rss_start_mb=monitor.rss_start_kb / 1024, cpu_s=monitor.cpu_seconds(), wall_s=wall,
                   server_log=str(log_path), mode="seeded link + Start training" if seeded else "Load and train",
                   server_env={k: v for k, v in extra.items() if k not in ("RNNLAB_MAX_TRAININGS", "PYTHONPATH")},
                   browser_cpus=browser_cpus or "", stack_dumps=len(dumps), timeout=timeout)


# ---------------------------------------------------------------------------------------------- report


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def table(outcome: Outcome) -> str:
    lat = outcome.latencies()
    health = (f"{statistics.median(lat):.3f} / {_pct(lat, 0.95):.3f} / {max(lat):.3f}" if lat else "-")
    own = outcome.own_results()
    waited = [s.place for s in outcome.sessions if s.place]
    rows = [
        ("sessions (one chromium, a context each)", f"{len(outcome.sessions)}"
         + (f", chromium on CPU {outcome.browser_cpus}" if outcome.browser_cpus else ""), ""),
        ("how each trains", outcome.mode + f": {', '.join(sorted({s.lesson for s in outcome.sessions}))}", ""),
        ("capacity (RNNLAB_MAX_TRAININGS)", f"{outcome.capacity}", ""),
        *([("server environment added", " ".join(f"{k}={v}" for k, v in outcome.server_env.items()), "")]
          if outcome.server_env else []),
        ("most trainings running at once (as the line showed)",
         f"{max((s.running_seen for s in outcome.sessions), default=0)}", f"<= {outcome.capacity}"),
        ("sessions that waited in line (highest place)", f"{len(waited)} ({max(waited, default=0)})", ""),
        ("page opened and idle, s (min / median / max)",
         _spread([s.open_s for s in outcome.sessions if s.open_s is not None]), ""),
        ("click -> own result shown, s (min / median / max)", _spread(outcome.times()),
         f"< {outcome.timeout:g} each"),
        ("sessions with their own result", f"{own} of {len(outcome.sessions)}", f"{len(outcome.sessions)}"),
        ("sessions with a note (e.g. a download clicked twice)", f"{sum(1 for s in outcome.sessions if s.notes)}", ""),
        ("errors: sessions without their own result", f"{len(outcome.sessions) - own}", "0"),
        (f"health latency, s (median / p95 / max of {len(lat)})", health, f"< {HEALTH_TARGET_S:g}"),
        (f"health checks >= {HEALTH_TARGET_S:g} s or failed", f"{outcome.health_failures()}", "0"),
        ("server RSS, MB (start / peak sampled / VmHWM)",
         f"{outcome.rss_start_mb:.0f} / {outcome.rss_peak_mb:.0f} / {outcome.hwm_mb:.0f}", ""),
        ("CPU s: server / chromium / driver+bench / others",
         " / ".join(f"{v:.0f}" for v in (outcome.cpu_s["server"], outcome.cpu_s["chromium"],
                                        outcome.cpu_s["driver"] + outcome.cpu_s["bench"], outcome.cpu_s["others"])) +
         f" (of {outcome.wall_s * (os.cpu_count() or 1):.0f} core-s)", ""),
        ("wall time, s (first page opened -> last result)", f"{outcome.wall_s:.1f}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    lines = [f"{'measure':<{width}}  {'value':<{value_width}}  target", f"{'-' * width}  {'-' * value_width}  ------"]
    lines += [f"{name:<{width}}  {value:<{value_width}}  {target}" for name, value, target in rows]
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def session_lines(outcome: Outcome) -> str:
    lines = [" #  lesson      seed  open s  result s  place  run id    result / errors"]
    for s in outcome.sessions:
        text = "; ".join(s.errors) if s.errors else f"{s.label} ({s.outcome.split(' | ')[0][:40] if s.outcome else ''})"
        lines.append(f"{s.index:>2}  {s.lesson:<10}  {'' if s.seed is None else s.seed:>4}  "
                     f"{'' if s.open_s is None else f'{s.open_s:.1f}':>6}  "
                     f"{'' if s.result_s is None else f'{s.result_s:.1f}':>8}  {s.place:>5}  {s.run_id or '-':<8}  "
                     f"{text}" + (f"  [screenshot {s.screenshot}]" if s.screenshot else "")
                     + (f"  (note: {'; '.join(s.notes)})" if s.notes else ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions (students), default 10")
    parser.add_argument("--capacity", type=int, default=None,
                        help="$RNNLAB_MAX_TRAININGS for the server (default: the server's own, half the cores)")
    parser.add_argument("--lesson", "--lessons", dest="lesson", default="sine",
                        help="the lesson every session trains, or a comma-separated mix dealt round-robin "
                             "(default: sine, the quickest)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds a session may wait for its result after its click (default 300)")
    parser.add_argument("--stagger", type=float, default=0.0,
                        help="seconds between two sessions' clicks (default 0: all at once)")
    parser.add_argument("--seeded", action="store_true",
                        help="each session opens a link to the Train page with its own seed and presses Start "
                             "training (the model's spec hash then proves the result is its own)")
    parser.add_argument("--artifacts", type=Path, default=None,
                        help="folder for the server log and failure screenshots (default: a new temporary folder)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="more environment for the server, to try a setting (repeatable), e.g. "
                             "STREAMLIT_RUNNER_POST_SCRIPT_GC=false")
    parser.add_argument("--browser-cpus", default=None, metavar="LIST",
                        help="pin chromium to these CPUs (taskset list, e.g. 1), so the browsers standing in for "
                             "the students' machines cannot take every core from the server")
    parser.add_argument("--dump-stacks", action="store_true",
                        help=f"when a health check fails or takes >= {STALL_S:g} s, or a session fails, print "
                             "the server's thread stacks into its log (SIGUSR1 + faulthandler, via a sitecustomize on "
                             "its PYTHONPATH)")
    parser.add_argument("--json", type=Path, default=None, help="also write every measure and sample here")
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be >= 1")
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} not found: `make browser` installs Debian's chromium.", file=sys.stderr)
        return 2

    lessons = [key.strip() for key in args.lesson.split(",") if key.strip()]
    server_env = {}
    for item in args.server_env:
        name, equals, value = item.partition("=")
        if not equals or not name:
            parser.error(f"--server-env takes NAME=VALUE; received {item!r}")
        server_env[name] = value
    outcome = run_classroom(args.sessions, capacity=args.capacity, lessons=lessons, timeout=args.timeout,
                            stagger=args.stagger, seeded=args.seeded, artifacts=args.artifacts,
                            server_env=server_env, browser_cpus=args.browser_cpus, dump_stacks=args.dump_stacks)
    print(table(outcome))
    print()
    print(session_lines(outcome))
    print(f"\nserver log: {outcome.server_log}"
          + (f" ({outcome.stack_dumps} dumps of the server's thread stacks in it)" if outcome.stack_dumps else ""))
    if args.json:
        args.json.write_text(json.dumps({**asdict(outcome), "misses": outcome.misses()}, indent=1))
    missed = outcome.misses()
    busy = outcome.others_share()
    if busy > 0.2:
        print(f"note: other processes took {busy:.0%} of the machine's CPU during the run, so these numbers are "
              "pessimistic; rerun on a quiet machine before trusting a miss")
    print("verdict: " + ("ok" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
