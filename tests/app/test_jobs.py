"""A training never outlives its browser session: the job's stop_flag watches the session and the clock
(unit tests on app.session.jobs.TrainingJob, no browser), and a new training in a session stops the previous one."""


import pytest
from apptools import JOB_KEY, go, runs_of, start_long_training, tiny_spec, wait_training

from app.session import jobs
from rnnlab.experiments import load_data


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def idle_job(**kwargs):
    """A job that is never started: should_stop() is called by hand."""
    return jobs.TrainingJob(tiny_spec(), None, label="test", **kwargs)


def test_a_session_gone_longer_than_the_grace_stops_the_job():
    clock, connected = Clock(), [True]
    job = idle_job(alive=lambda: connected[0], max_seconds=1000, grace_seconds=5, clock=clock)
    assert not job.should_stop()
    connected[0] = False
    clock.now = 1.0
    assert not job.should_stop()  # gone, within the grace
    clock.now = 5.9
    assert not job.should_stop()
    connected[0] = True  # the tab reconnected: the grace starts afresh next time
    clock.now = 6.0
    assert not job.should_stop()
    connected[0] = False
    clock.now = 7.0
    assert not job.should_stop()
    clock.now = 12.0
    assert job.should_stop() and job.stop_requested and job.stop_reason == "session"
    assert job.should_stop()  # stays stopped


def test_the_time_limit_stops_the_job():
    clock = Clock()
    job = idle_job(alive=None, max_seconds=600, clock=clock)
    clock.now = 599.0
    assert not job.should_stop()
    clock.now = 600.0
    assert job.should_stop() and job.stop_reason == "time"
    assert jobs.MAX_TRAINING_S == 600  # the documented 10 minutes


def test_a_probe_that_fails_keeps_training_and_the_first_reason_is_kept():
    def broken():
        raise RuntimeError("runtime changed")

    job = idle_job(alive=broken, grace_seconds=0, clock=Clock())
    assert not job.should_stop()
    job.stop()
    job.stop("session")
    assert job.stop_reason == "request" and job.should_stop()


def test_session_probe_asks_the_runtime(monkeypatch):
    import streamlit.runtime as runtime
    import streamlit.runtime.scriptrunner as scriptrunner

    assert jobs.session_probe() is None  # no Streamlit runtime here (as under AppTest): nothing to watch

    class Ctx:
        session_id = "abc"

    class Runtime:
        active = {"abc"}

        def is_active_session(self, session_id):
            return session_id in self.active

    fake = Runtime()
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: fake)
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda suppress_warning=False: Ctx())
    alive = jobs.session_probe()
    assert alive is not None and alive()
    fake.active.clear()  # the browser session ended
    assert not alive()
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda suppress_warning=False: None)
    assert jobs.session_probe() is None


@pytest.mark.parametrize("reason", ["session", "time"])
def test_a_running_training_stops_between_batches_and_says_why(reason):
    spec = tiny_spec(epochs=400)
    ended = reason == "session"
    job = jobs.TrainingJob(spec, load_data(spec), label="test", alive=(lambda: not ended) if ended else None,
                           grace_seconds=0, max_seconds=None if ended else 0.0).start()
    assert job.wait(60)
    progress = job.progress()
    assert progress.status == "stopped" and progress.epochs_done < 400 and job.stop_reason == reason
    opening = {"session": "Stopped because its browser session ended", "time": "Stopped at the time limit"}[reason]
    assert progress.message.startswith(opening) and "Stopped on request" in progress.message


def test_a_new_training_stops_the_sessions_previous_one():
    at, first = start_long_training()
    go(at, "lessons")
    at.button(key="lessons_train_parity").click().run()
    second = at.session_state[JOB_KEY]
    assert second is not first
    assert first.finished and first.stop_reason == "replaced"  # stopped, within the hand-over wait
    assert any(r.run_id == first.job_id and r.message.startswith("Stopped because a new training")
               for r in runs_of(at))  # its finished epochs are kept as a run
    wait_training(at)
    assert not at.exception
