"""A small classroom on one real server: three browser sessions press a lesson's "Load and train" at once.

The lesson is the flip-flop (forget_gate, about 3 s of training): long enough that the sessions in line see
their place at the Train page's 0.75 s refresh (the sine lesson now trains in about 1.3 s).

Runs the core of bench/bench_classroom.py with 3 sessions (one chromium, a context each) and a capacity of one
training at a time, so two of them wait in line. Each session must show its own result (the lesson's run #1,
a run id no other session shows, no error box, the training ended normally), the server must never run more
trainings than its capacity, and /_stcore/health (asked every 0.25 s throughout) must answer within a generous
HEALTH_BOUND_S. The table and the per-session lines are in the failure message; the server log and screenshots
of failed sessions go to .e2e-artifacts/classroom/ (gitignored).

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python -m pytest -q -p no:cacheprovider tests/e2e/test_classroom.py

Needs /usr/bin/chromium (`make browser`). Missing: the test fails when $CI is set, and is skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "bench_classroom.py"
ARTIFACTS = ROOT / ".e2e-artifacts" / "classroom"
SESSIONS = 3
CAPACITY = 1
SESSION_TIMEOUT_S = 75  # click -> result, per session (the third waits for two trainings)
OPEN_TIMEOUT_S = 60  # every Lessons page open and idle
HEALTH_BOUND_S = 3.0  # generous: the benchmark's target is 1 s at 10 sessions


@pytest.fixture(scope="module")
def bench():
    if not os.path.exists("/usr/bin/chromium"):
        message = ("/usr/bin/chromium not found: the classroom test drives Debian's chromium. Install it with "
                   "`make browser` (apt-get install chromium); never `playwright install`.")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    spec = importlib.util.spec_from_file_location("bench_classroom", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_classroom"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    module.OPEN_TIMEOUT_S = OPEN_TIMEOUT_S
    return module


@pytest.fixture(scope="module")
def classroom(bench):
    outcome = bench.run_classroom(SESSIONS, capacity=CAPACITY, lessons=("forget_gate",), timeout=SESSION_TIMEOUT_S,
                                  artifacts=ARTIFACTS)
    report = f"\n{bench.table(outcome)}\n\n{bench.session_lines(outcome)}\nserver log: {outcome.server_log}"
    print(report)
    return outcome, report


def test_every_session_gets_its_own_result(classroom):
    outcome, report = classroom
    assert outcome.errors() == 0, report
    assert not outcome.duplicated_runs(), report
    assert outcome.own_results() == SESSIONS, report
    for session in outcome.sessions:
        assert session.label == session.expected_label, report
        assert session.run_id, report


def test_the_line_holds_the_capacity(classroom):
    outcome, report = classroom
    assert outcome.capacity == CAPACITY, report
    assert max(s.running_seen for s in outcome.sessions) <= CAPACITY, report
    # three clicks at once with one slot: somebody was shown a place in line
    assert max(s.place for s in outcome.sessions) >= 1, report


def test_health_answers_throughout(classroom):
    outcome, report = classroom
    assert outcome.health, report
    assert all(ok for _, _, ok in outcome.health), report
    assert max(outcome.latencies()) < HEALTH_BOUND_S, report
