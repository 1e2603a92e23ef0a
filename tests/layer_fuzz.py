"""Random layer configurations, valid and invalid, and the one rule every call must obey.

Used by tests/test_layer_fuzz.py (a bounded number of Hypothesis examples in `make test`) and by
bench/fuzz_layers.py (thousands of calls, counts for the README). A configuration is a layer kind with
TFLearn's arguments, an input array and a way to call it (eagerly on the array, or inside a keras.Model).

The rule (``check``): a call either returns outputs of the right shapes whose values are finite (NaN in
the input is the one exception: it is refused eagerly, and inside a model it stays in the rows that hold it),
or raises ``rnnlab.RnnlabError`` / ``TypeError`` whose message names an argument (values that a model learns
only when it runs, like seq_len fed through a keras.Input, fail rnnlab's own assertion, naming the argument).
Anything else — a TensorFlow error, a message naming nothing, a wrong shape, a silent NaN — is a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

KINDS = ("simple_rnn", "lstm", "gru", "bidirectional_rnn")
ARGUMENTS = ("incoming", "n_units", "activation", "inner_activation", "dropout", "weights_init", "seq_len",
             "initial_state", "initial_state_fw", "initial_state_bw", "rncell_fw", "rnncell_fw", "rnncell_bw",
             "num_units", "forget_bias", "shape", "dtype", "input_dim", "bias", "return_seq", "return_state", "dynamic")
NAMED = re.compile(r"`(\w+)`|\b(" + "|".join(ARGUMENTS) + r")\b")


@dataclass
class Case:
    """One drawn call: what to build and what to feed it."""

    kind: str
    n_units: object
    x: np.ndarray | object
    in_model: bool
    kwargs: dict = field(default_factory=dict)
    seq_len: object = None
    initial_state: object = None

    def describe(self) -> str:
        shape = getattr(self.x, "shape", type(self.x).__name__)
        dtype = getattr(self.x, "dtype", "")
        return (f"{self.kind}(n_units={self.n_units!r}, {self.kwargs}, seq_len={_short(self.seq_len)}, "
                f"initial_state={_short(self.initial_state)}) on x{shape} {dtype} "
                f"{'in a model' if self.in_model else 'eagerly'}")


def _short(value) -> str:
    if value is None:
        return "None"
    shape = getattr(value, "shape", None)
    return f"array{tuple(shape)}" if shape is not None else repr(value)[:40]


# ------------------------------------------------------------------------------------------ strategies

VALID_UNITS = st.integers(1, 6)
BAD_UNITS = st.sampled_from([0, -3, 2.5, "8", True, None, 10**6, np.float32(4.0)])
ACTIVATIONS = st.sampled_from(["tanh", "sigmoid", "relu", "linear", "softsign"])
BAD_ACTIVATIONS = st.sampled_from(["tanhh", "", 3, None])
INITS = st.sampled_from([None, "uniform", "normal", "xavier", "zeros", "truncated_normal"])
BAD_INITS = st.sampled_from(["glorot", 7, "xavierx"])
DROPOUTS = st.sampled_from([None, 0.8, 1.0, (0.5, 0.9)])
BAD_DROPOUTS = st.sampled_from([0.0, 1.5, -0.1, "0.5", (0.5,), (0.5, 2.0), True])


@st.composite
def inputs(draw, valid: bool):
    """-> x: mostly [B, T, D] float32 with zero padding; with ``valid`` False sometimes a broken one."""
    b, t, d = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.normal(size=(b, t, d)).astype(np.float32)
    lengths = rng.integers(0, t + 1, size=b)
    x[np.arange(t)[None, :] >= lengths[:, None]] = 0.0  # post-padding, some rows empty
    if valid:
        return x
    broken = draw(st.sampled_from(["nan", "int", "object", "rank2", "rank4", "t0", "d0", "list", "float64", "none"]))
    if broken == "nan":
        x[rng.integers(0, b), rng.integers(0, t)] = np.nan
        return x
    return {
        "int": lambda: x.astype(np.int32),
        "object": lambda: x.astype(object),
        "rank2": lambda: x[:, :, 0],
        "rank4": lambda: x[..., None],
        "t0": lambda: np.zeros((b, 0, d), np.float32),
        "d0": lambda: np.zeros((b, t, 0), np.float32),
        "list": lambda: x.tolist(),
        "float64": lambda: x.astype(np.float64),
        "none": lambda: None,
    }[broken]()


@st.composite
def seq_lens(draw, x):
    shape = getattr(x, "shape", None)
    if draw(st.booleans()) or shape is None or len(shape) != 3:
        return None
    b, t = shape[0], shape[1]
    good = np.random.default_rng(draw(st.integers(0, 999))).integers(0, t + 1, size=b)
    return draw(st.sampled_from([
        good, good.tolist(), good[:-1] if b > 1 else good[:0], good[:, None], -good - 1, good + t + 1,
        good.astype(np.float32) + 0.5, ["a"] * b, good[:1] if b > 1 else good, np.int64(t),
    ]))


@st.composite
def initial_states(draw, kind, n_units, x):
    shape = getattr(x, "shape", None)
    if kind == "bidirectional_rnn" or draw(st.booleans()) or shape is None or len(shape) != 3:
        return None
    b = shape[0]
    n = n_units if isinstance(n_units, int) and not isinstance(n_units, bool) and 0 < n_units < 100 else 2
    state = np.random.default_rng(1).normal(size=(b, n)).astype(np.float32)
    good = (state, state) if kind == "lstm" else state
    return draw(st.sampled_from([
        good, (state,) if kind != "lstm" else (state, state, state), state[:, :-1] if n > 1 else state[:, :0],
        state.astype(np.int32), "zeros", state[None], (state, state[:1]) if kind == "lstm" else state[:1],
    ]))


@st.composite
def cases(draw, in_model: bool | None = None):
    """-> Case: about half valid, the rest with one or more broken arguments."""
    valid = draw(st.integers(0, 3)) > 0
    kind = draw(st.sampled_from(KINDS))
    n_units = draw(VALID_UNITS) if valid or draw(st.booleans()) else draw(BAD_UNITS)
    x = draw(inputs(valid or draw(st.booleans())))
    kwargs = {"dynamic": draw(st.booleans()), "return_seq": draw(st.booleans())}
    if kind == "bidirectional_rnn":
        kwargs["return_states"] = draw(st.booleans())
        kwargs["cells"] = (draw(st.sampled_from(KINDS[:3])), draw(st.sampled_from(KINDS[:3])))
    else:
        kwargs["return_state"] = draw(st.booleans())
        kwargs["activation"] = draw(ACTIVATIONS if valid or draw(st.booleans()) else BAD_ACTIVATIONS)
        kwargs["weights_init"] = draw(INITS if valid or draw(st.booleans()) else BAD_INITS)
        kwargs["dropout"] = draw(DROPOUTS if valid or draw(st.booleans()) else BAD_DROPOUTS)
    return Case(
        kind=kind, n_units=n_units, x=x, kwargs=kwargs,
        in_model=draw(st.booleans()) if in_model is None else in_model,
        seq_len=draw(seq_lens(x)) if valid or draw(st.booleans()) else None,
        initial_state=draw(initial_states(kind, n_units, x)),
    )


# ------------------------------------------------------------------------------------------ the rule


def call(case: Case):
    """Build the layer and run it as the case says -> (outputs as a list of arrays, expected shapes)."""
    import keras

    import rnnlab

    kwargs = dict(case.kwargs)
    x = np.asarray(case.x) if isinstance(case.x, list) else case.x
    with rnnlab.naming_context():
        if case.kind == "bidirectional_rnn":
            kinds = kwargs.pop("cells")
            classes = {"simple_rnn": rnnlab.BasicRNNCell, "lstm": rnnlab.BasicLSTMCell, "gru": rnnlab.GRUCell}
            cells = [classes[k](case.n_units) for k in kinds]
            function = lambda net, **kw: rnnlab.bidirectional_rnn(net, *cells, **kw)  # noqa: E731
        else:
            function = lambda net, **kw: getattr(rnnlab, case.kind)(net, case.n_units, **kw)  # noqa: E731
        extra = {}
        if case.seq_len is not None:
            extra["seq_len"] = case.seq_len
        if case.initial_state is not None:
            extra["initial_state"] = case.initial_state
        if not case.in_model:
            return _as_list(function(case.x, **kwargs, **extra))
        shape = getattr(x, "shape", None)
        if shape is None or len(shape) != 3:  # a model needs an input shape: the symbolic call must refuse it
            return _as_list(function(rnnlab.input_data(shape=[None, *(shape[1:] if shape else [])]), **kwargs))
        inputs = rnnlab.input_data(shape=[None, *shape[1:]], dtype=str(x.dtype))
        model_inputs, feeds = [inputs], [x]
        if _fits_an_int_input(case.seq_len, len(x)):  # lengths known only when the model runs
            lengths = keras.Input(shape=(), dtype="int32", name="seq_len")
            model_inputs.append(lengths)
            feeds.append(np.asarray(case.seq_len))
            extra["seq_len"] = lengths
        outputs = function(inputs, **kwargs, **extra)
        model = keras.Model(model_inputs, outputs)
        return _as_list(model.predict_on_batch(feeds if len(feeds) > 1 else feeds[0]))


def _fits_an_int_input(seq_len, batch: int) -> bool:
    """Whether seq_len can be fed to a keras.Input(shape=(), dtype='int32'): else it goes in as a constant."""
    if seq_len is None or isinstance(seq_len, (str, np.integer)):
        return False
    values = np.asarray(seq_len)
    return values.dtype.kind in "iu" and values.ndim == 1 and len(values) == batch


def _as_list(outputs) -> list[np.ndarray]:
    flat = []

    def walk(value):
        if isinstance(value, (tuple, list)):
            for v in value:
                walk(v)
        else:
            flat.append(np.asarray(value))

    walk(outputs)
    return flat


def expected_shapes(case: Case) -> list[tuple]:
    """The shapes a valid call returns, from SPEC.md: output [B, T, n] or [B, n] (2n bidirectional), then states."""
    b, t, _ = np.shape(case.x)
    n = int(case.n_units)
    if case.kind == "bidirectional_rnn":
        out = [(b, t, 2 * n) if case.kwargs["return_seq"] else (b, 2 * n)]
        if case.kwargs["return_states"]:
            for kind in case.kwargs["cells"]:
                out += [(b, n)] * (2 if kind == "lstm" else 1)
        return out
    out = [(b, t, n) if case.kwargs["return_seq"] else (b, n)]
    if case.kwargs["return_state"]:
        out += [(b, n)] * (2 if case.kind == "lstm" else 1)
    return out


def check(case: Case) -> tuple[str, str]:
    """Run the case -> (outcome, detail): ('result', shapes), ('error', message) for a clear error naming an
    argument, or ('crash', what broke the rule)."""
    import tensorflow as tf

    from rnnlab import RnnlabError

    try:
        outputs = call(case)
    except (RnnlabError, TypeError) as error:
        message = str(error)
        if not NAMED.search(message):
            return "crash", f"{type(error).__name__} naming no argument: {message[:200]}"
        return "error", message
    except tf.errors.InvalidArgumentError as error:  # values known only when a model runs: rnnlab's assertions
        message = str(error)
        if "assertion failed: [`" in message and NAMED.search(message.split("assertion failed:")[-1]):
            return "error", message.split("assertion failed:")[-1].strip()
        return "crash", f"InvalidArgumentError: {message.splitlines()[0][:200]}"
    except Exception as error:  # noqa: BLE001 - this is what the fuzz looks for
        return "crash", f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    shapes = [tuple(o.shape) for o in outputs]
    x = np.asarray(case.x) if isinstance(case.x, list) else case.x
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.dtype.kind != "f" or 0 in x.shape:
        return "crash", f"accepted a bad input and returned {shapes}"
    wanted = expected_shapes(case)
    if shapes != wanted:
        return "crash", f"returned shapes {shapes}, expected {wanted}"
    nan_rows = np.isnan(x).any(axis=(1, 2))
    if nan_rows.any() and not case.in_model:
        return "crash", "accepted NaN input eagerly"
    for output in outputs:
        bad = ~np.isfinite(output.reshape(len(output), -1)).all(axis=1)  # rows with a non-finite value
        if (bad & ~nan_rows).any():
            return "crash", f"non-finite outputs in rows {np.flatnonzero(bad & ~nan_rows).tolist()} whose input is finite"
    return "result", str(shapes)
