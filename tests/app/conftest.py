"""AppTest suite set-up: a private run store for the whole session (never the repo's runs/)."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `from app import ...` whichever way pytest is started
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session", autouse=True)
def _private_run_store(tmp_path_factory):
    previous = os.environ.get("RNNLAB_RUNS_DIR")
    os.environ["RNNLAB_RUNS_DIR"] = str(tmp_path_factory.mktemp("runs"))
    yield
    if previous is None:
        os.environ.pop("RNNLAB_RUNS_DIR", None)
    else:
        os.environ["RNNLAB_RUNS_DIR"] = previous
