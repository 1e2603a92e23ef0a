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
