"""A classroom on one server: at most `capacity` trainings at once, the rest wait in line with their place shown."""

import threading
import time

from apptools import new_app, runs_of, tiny_spec, wait_training

from app.session import jobs, slots


def test_slots_serve_first_come_first_served_and_a_stopped_waiter_leaves_the_line():
    line = slots.TrainingSlots(capacity=1)
    assert line.acquire("a", lambda: False)
    got, stop_c = [], threading.Event()
    b = threading.Thread(target=lambda: got.append(("b", line.acquire("b", lambda: False))))
    c = threading.Thread(target=lambda: got.append(("c", line.acquire("c", stop_c.is_set))))
    b.start()
    time.sleep(0.3)
    c.start()
    time.sleep(0.3)
    assert (line.place("b"), line.place("c"), line.counts()) == (1, 2, (1, 2))
    stop_c.set()  # c's tab closed while it waited
    c.join(2)
    assert ("c", False) in got and line.place("c") is None and line.place("b") == 1
    line.release("a")
    b.join(2)
    assert ("b", True) in got and line.counts() == (1, 0)


def test_a_second_training_waits_for_the_slot_and_then_runs():
    line = slots.TrainingSlots(capacity=1)
    # far more epochs than the test lasts (it stops the job): 30 epochs used to take over a second, and ended
    # within the test's first second once the layers' fast paths came in
    first = jobs.TrainingJob(tiny_spec(epochs=5000), None, label="first", slots=line).start()
    time.sleep(0.5)
    second = jobs.TrainingJob(tiny_spec(seed=4), None, label="second", slots=line).start()
    time.sleep(0.5)
    waiting = second.progress()
    assert (waiting.status, waiting.place, waiting.fraction) == ("queued", 1, 0.0)
    assert first.progress().status == "running"
    first.stop()
    assert first.wait(60) and second.wait(60)
    assert second.progress().status == "done" and second.result is not None
    assert line.counts() == (0, 0)


def test_a_job_stopped_while_waiting_never_trains():
    line = slots.TrainingSlots(capacity=1)
    assert line.acquire("blocker", lambda: False)
    job = jobs.TrainingJob(tiny_spec(), None, label="queued", slots=line).start()
    time.sleep(0.3)
    job.stop()
    assert job.wait(5)
    progress = job.progress()
    assert progress.status == "stopped" and "waiting for a free training slot" in progress.message
    assert job.result is None and progress.epochs_done == 0


def test_the_train_page_shows_the_place_in_line(monkeypatch):
    line = slots.TrainingSlots(capacity=1)
    monkeypatch.setattr(jobs, "SERVER_SLOTS", line)
    monkeypatch.setattr(jobs.TrainingJob.__init__, "__kwdefaults__",
                        {**jobs.TrainingJob.__init__.__kwdefaults__, "slots": line})
    assert line.acquire("another-student", lambda: False)
    at = new_app(tiny_spec(), page="train")
    at.button(key="train_start").click().run()
    time.sleep(0.5)
    at.run()
    bars = [p.proto.text for p in at.get("progress")]
    assert any("Waiting for a free training slot: number 1 in line (1 of 1 trainings running" in t for t in bars), bars
    line.release("another-student")
    wait_training(at)
    assert len(runs_of(at)) == 1
