"""The README's code runs as written (epochs shortened, fig.show() skipped)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_quickstart_probe_and_hook_examples_run():
    blocks = python_blocks()
    # the quickstart, the probe example and the hook / intervention example, in order
    code = "\n".join(blocks[:3])
    code = re.sub(r"epochs=\d+", "epochs=1", code).replace("fig.show()", "")
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)
    trace = namespace["trace"]
    forget = namespace["forget"]
    assert forget.shape == (8, 29, 64)
    assert trace.layers["LSTM"].grad_norm.shape == (8, 29)
    assert namespace["fig"].data, "the unit-lines figure has traces"


def test_readme_states_the_two_commands_first():
    text = README.read_text()
    first_section = text.split("\n## ")[1]
    assert first_section.startswith("Two commands")
    assert "make app" in first_section and "make test" in first_section


def test_readme_pain_point_examples_run_and_do_what_they_say():
    import numpy as np

    block = next(b for b in python_blocks() if "tflearn#227" in b)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)
    layer, long_x, pieces = namespace["layer"], namespace["long_x"], namespace["pieces"]
    full, _ = layer(long_x)  # the state carried across four batches equals one pass over the whole sequence
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, atol=1e-6)
    x = np.random.default_rng(0).random((2, 5, 3)).astype("float32")
    out = namespace["model"].predict([x, np.array([5, 3])], verbose=0)
    assert out.shape == (2, 5, 8)
    assert np.all(out[1, 3:] == 0.0) and np.all(out[1, :3] != 0.0)  # zero exactly past the given length
    # reuse=True: the second input runs through the encoder's very cell (the same weights); the layer around it
    # differs only in its return options (no return_state)
    shared = namespace["other"]._keras_history.operation
    encoder = namespace["c"]._keras_history.operation
    assert shared.cell is encoder.cell and shared is not encoder
