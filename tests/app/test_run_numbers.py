"""A session's runs keep distinct numbers after the oldest are dropped (the label is how a user tells runs apart)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script(root: str):
    import sys
    from types import SimpleNamespace

    sys.path.insert(0, root)
    from app import state

    for _ in range(state.MAX_SESSION_RUNS + 3):
        state.add_session_run(SimpleNamespace(run_id=f"run-{state.next_run_number()}"), make_current=False)


def test_run_numbers_go_on_counting_past_the_session_cap():
    from pathlib import Path

    from app import state

    at = AppTest.from_function(_script, kwargs={"root": str(Path(__file__).resolve().parents[2])})
    at.run(timeout=60)
    assert not at.exception
    numbers = list(range(1, state.MAX_SESSION_RUNS + 4))
    kept = [run.run_id for run in at.session_state["rnnlab:session_runs"]]
    assert kept == [f"run-{n}" for n in numbers[-state.MAX_SESSION_RUNS:]]
    assert len(set(kept)) == len(kept)
