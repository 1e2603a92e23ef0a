"""Step through a cell: one unit's equations at one time step, with the numbers a probed model computed.

    trace = rnnlab.probe(model, x)
    step = cell_step(trace, model, "LSTM", sample=0, step=3, unit=1)     # CellStep
    step.gates["forget"].value, step.c_prev, step.c                        # f_t, c_{t-1}, c_t
    for eq in step.equations(digits=2): print(eq.latex)                   # c_t = f_t c_{t-1} + i_t j_t = ...
    seq = cell_steps(trace, model, "LSTM", sample=0, unit=1)               # every step at once: seq[t]

Gate and state values are the trace's (what the layer used: LSTM forget is sig(f + forget_bias), SPEC.md).
Pre-activations are recomputed from the layer's weights (TFLearn layout: input rows first, then recurrent
rows) and split into the input's part x_t W_x, the recurrent part h_prev W_h and the bias, so the page can
write every term. The trace must come from this model with its current weights; ``Gate.recomputed`` (the
activation of the recomputed pre-activation) equals ``Gate.value`` unless an intervention changed the gate.

Previous state: the state the cell read before this step. Forward cells read t-1; the backward cell of a
bidirectional layer ('NAME/bw') reads the sequence reversed, so its previous state is that of step t+1
(the initial state at step length - 1). The initial state is zeros unless ``initial_state`` is given.
Past a sample's length (``padded``) nothing is computed: the state is carried (forward: from step
length - 1; backward: from step 0) and the output is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import tensorflow as tf

from rnnlab.errors import RnnlabError, describe
from rnnlab.layers import activations
from rnnlab.probes.selection import cells_of, recurrent_layers
from rnnlab.probes.trace import Trace

# Display order of each kind's activations (LSTM gates i, f, o and the candidate j; TFLearn's kernel order is
# i, j, f, o), with their symbols and kernel column blocks.
GATES = {
    "lstm": (("input", "i", 0), ("forget", "f", 2), ("output", "o", 3), ("candidate", "j", 1)),
    "gru": (("reset", "r", 0), ("update", "u", 1), ("candidate", r"\tilde{h}", None)),
    "simple_rnn": (("h", "h", 0),),
}


@dataclass(frozen=True)
class Gate:
    """One activation of one unit at one step (a gate, a candidate, or SimpleRNN's h), all scalars:
    ``value = activation(from_x + from_h + bias + offset)``.

    from_x: x_t . W_x[:, k], the input's part; from_h: h_prev . W_h[:, k] (GRU candidate: (r * h_prev) . W_h);
    bias: Bias[k] (0 without bias); offset: forget_bias for the LSTM forget gate, else 0; value: what the layer
    used (the trace's); recomputed: activation(pre_activation + offset) from the weights.
    """

    name: str
    symbol: str
    activation: str
    from_x: float
    from_h: float
    bias: float
    offset: float
    value: float
    recomputed: float

    @property
    def pre_activation(self) -> float:
        """z = from_x + from_h + bias (without forget_bias, as SPEC.md writes f)."""
        return self.from_x + self.from_h + self.bias


@dataclass(frozen=True)
class Equation:
    """One line of the cell's maths in LaTeX: ``lhs = symbols = stages[0] = ... = value``."""

    lhs: str
    symbols: str
    stages: tuple[str, ...]
    value: float
    digits: int

    @property
    def latex(self) -> str:
        """One line: ``c_t = f_t c_{t-1} + i_t j_t = 0.970 \\cdot 0.410 + ... = 0.494``."""
        return " = ".join([self.lhs, self.symbols, *self.stages, _num(self.value, self.digits)])

    @property
    def aligned(self) -> str:
        """Two rows of a LaTeX ``aligned`` block: the symbols, then the numbers (one row when there are none)."""
        numbers = " = ".join([*self.stages, _num(self.value, self.digits)])
        if not self.stages:
            return rf"{self.lhs} &= {self.symbols} = {numbers}"
        return rf"{self.lhs} &= {self.symbols} \\ &= {numbers}"


@dataclass(frozen=True)
class CellStep:
    """One unit of one layer at step t of one sample. x: the step's input [D] (a tuple); the rest are scalars.

    prev_step: the step whose state this step read (None: the initial state); on a padded step, the step
    whose state is carried. h_prev, c_prev: that state (c only for LSTM). gates: name -> Gate in display
    order (empty on padded steps). terms: the products the new state adds up (LSTM 'f*c_prev', 'i*j',
    'act(c)'; GRU 'u*h_prev', '(1-u)*cand'). c, h: the state after the step; output: h, or 0 when padded.
    """

    layer: str
    kind: str
    direction: str | None
    sample: int
    step: int
    unit: int
    time_steps: int
    length: int
    padded: bool
    prev_step: int | None
    x: tuple[float, ...]
    h_prev: float
    c_prev: float | None
    gates: dict[str, Gate]
    terms: dict[str, float]
    c: float | None
    h: float
    output: float
    activation: str
    inner_activation: str | None = None
    forget_bias: float | None = None

    @property
    def prev_symbol(self) -> str:
        """'t-1' for a forward cell, 't+1' for the backward cell of a bidirectional layer."""
        return "t+1" if self.direction == "bw" else "t-1"

    @property
    def note(self) -> str:
        """One sentence on where this step's previous state comes from (or why nothing is computed)."""
        if self.padded:
            source = f"from step {self.prev_step}" if self.prev_step is not None else "from the initial state"
            return (f"Step {self.step} is past this sample's length {self.length}: nothing is computed, the state "
                    f"is carried {source} and the output is 0.")
        if self.prev_step is None:
            first = "the backward cell's first step" if self.direction == "bw" else "the first step"
            return f"Step {self.step} is {first}: the previous state is the initial state."
        if self.direction == "bw":
            return (f"The backward cell reads this sample from step {self.length - 1} down to 0: step {self.step} "
                    f"reads the state of step {self.prev_step}.")
        return f"Step {self.step} reads the state of step {self.prev_step}."

    def unexplained(self, tolerance: float = 1e-4) -> list[str]:
        """Gates whose value differs from the activation of the recomputed pre-activation by more than
        ``tolerance``: an intervention changed them, or the trace is not from these weights."""
        return [g.name for g in self.gates.values() if abs(g.recomputed - g.value) > tolerance]

    def numbers(self, pre_activations: bool = True) -> dict[str, float]:
        """-> label -> value of every number of this step, in the order the equations use them (the page's
        table, the chart's bars); ``pre_activations=False`` leaves out the z's (they are not in [-1, 1])."""
        p = self.prev_symbol
        out: dict[str, float] = {}
        if self.c_prev is not None:
            out[f"c_{{{p}}}"] = self.c_prev
        out[f"h_{{{p}}}"] = self.h_prev
        for gate in self.gates.values():
            symbol = gate.symbol.replace(r"\tilde{h}", "h~")
            if pre_activations:
                out["z" if gate.name == "h" else f"z_{symbol}"] = gate.pre_activation
            if gate.name != "h":
                out[symbol] = gate.value
        labels = {"f*c_prev": f"f*c_{{{p}}}", "i*j": "i*j", "act(c)": f"{self.activation}(c_t)",
                  "u*h_prev": f"u*h_{{{p}}}", "(1-u)*cand": "(1-u)*h~"}
        out.update({labels[k]: v for k, v in self.terms.items()})
        if self.c is not None:
            out["c_t"] = self.c
        out["h_t"] = self.h
        return out

    def equations(self, digits: int = 3) -> list[Equation]:
        """-> the cell's equations with this step's numbers, rounded to ``digits`` decimals (LaTeX)."""
        return _equations(self, int(digits))

    def latex(self, digits: int = 3) -> str:
        """-> every equation in one LaTeX ``aligned`` block (symbols on one row, numbers on the next)."""
        rows = r" \\[6pt] ".join(e.aligned for e in self.equations(digits))
        return rf"\begin{{aligned}} {rows} \end{{aligned}}"


@dataclass(frozen=True)
class CellSequence:
    """Every step of one unit of one layer for one sample: steps[t] is a CellStep (T of them).

    series: quantity -> [T], the trace's values for this unit (0 on padded steps); valid: [T] bool.
    """

    layer: str
    kind: str
    direction: str | None
    sample: int
    unit: int
    length: int
    steps: tuple[CellStep, ...]
    series: dict[str, np.ndarray] = field(repr=False, compare=False)
    valid: np.ndarray = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, step) -> CellStep:
        return self.steps[_index(step, "step", len(self.steps), "a time step of the trace")]


def cell_steps(trace: Trace, model, layer: str, sample: int, unit: int, *, initial_state=None) -> CellSequence:
    """Trace of ``model`` + layer / sample / unit -> CellSequence: every step of that unit, [T] CellSteps.

    Arguments:
        trace: an rnnlab Trace from ``rnnlab.probe(model, x)``.
        model: the probed keras.Model or rnnlab layer (its weights give the pre-activations).
        layer: a trace layer name ('NAME', 'NAME/fw', 'NAME/bw', 'NAME#1' for a layer's second call).
        sample: int in [0, B); unit: int in [0, n).
        initial_state: the state the layer started from, if not zeros: LSTM (c, h), else h; each [B, n].

    Raises RnnlabError naming the argument, the value received and what was expected.
    """
    if not isinstance(trace, Trace):
        raise RnnlabError(f"`trace` must be an rnnlab Trace (from rnnlab.probe); received {describe(trace)}.")
    if not isinstance(layer, str) or layer not in trace.layers:
        raise RnnlabError(f"Unknown `layer` {layer!r}; the trace holds: {', '.join(trace.layers)}.")
    rec = trace.layers[layer]
    batch, time_steps, n = rec.quantities["h"].shape
    b = _index(sample, "sample", batch, "a sample of the trace")
    u = _index(unit, "unit", n, f"a unit of layer {layer!r}")
    cell = _cell_for(model, rec)
    length = int(rec.seq_len[b])
    q = {name: np.asarray(v[b], dtype=np.float64) for name, v in rec.quantities.items()}  # name -> [T, n]
    x = np.asarray(rec.x[b], dtype=np.float64)  # [T, D]
    states = ("c", "h") if rec.kind == "lstm" else ("h",)
    init = _initial_state(initial_state, states, b, batch, n)
    prev_steps = _prev_steps(time_steps, length, rec.direction == "bw")
    prev = {s: np.stack([init[s] if p is None else q[s][p] for p in prev_steps]) for s in states}  # [T, n]
    gates = _gates(cell, rec.kind, x, prev["h"], q)  # name -> dict of [T, n] arrays
    act_c = _apply(cell.activation_fn, q["c"]) if rec.kind == "lstm" else None  # [T, n]
    names = {"activation": _act_name(cell.activation)}
    if rec.kind != "simple_rnn":
        names["inner_activation"] = _act_name(cell.inner_activation)
    if rec.kind == "lstm":
        names["forget_bias"] = cell.forget_bias

    steps = []
    for t in range(time_steps):
        padded = t >= length
        state = {s: float(prev[s][t, u]) if padded else float(q[s][t, u]) for s in states}
        step_gates, terms = {}, {}
        if not padded:
            for name, symbol, parts in gates:
                step_gates[name] = Gate(name, symbol, parts["activation"], *(float(parts[k][t, u]) for k in
                                        ("from_x", "from_h", "bias", "offset", "value", "recomputed")))
            terms = _terms(rec.kind, step_gates, {s: float(prev[s][t, u]) for s in states},
                           None if act_c is None else float(act_c[t, u]))
        steps.append(CellStep(
            layer=layer, kind=rec.kind, direction=rec.direction, sample=b, step=t, unit=u, time_steps=time_steps,
            length=length, padded=padded, prev_step=prev_steps[t], x=tuple(float(v) for v in x[t]),
            h_prev=float(prev["h"][t, u]), c_prev=float(prev["c"][t, u]) if "c" in prev else None,
            gates=step_gates, terms=terms, c=state.get("c"), h=state["h"], output=0.0 if padded else state["h"],
            **names,
        ))
    return CellSequence(layer=layer, kind=rec.kind, direction=rec.direction, sample=b, unit=u, length=length,
                        steps=tuple(steps), series={k: v[:, u].copy() for k, v in q.items()},
                        valid=np.asarray(rec.valid[b], dtype=bool).copy())


def cell_step(trace: Trace, model, layer: str, sample: int, step: int, unit: int, *, initial_state=None) -> CellStep:
    """Trace of ``model`` + layer / sample / step / unit -> CellStep (x_t [D], scalars otherwise).

    Arguments as for :func:`cell_steps`, and step: int in [0, T).
    """
    sequence = cell_steps(trace, model, layer, sample, unit, initial_state=initial_state)
    return sequence[step]


# ------------------------------------------------------------------------------------------ the numbers


def _index(value, argument: str, size: int, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or not 0 <= value < size:
        raise RnnlabError(f"`{argument}` must be an int in [0, {size}) ({what}); received {describe(value)}.")
    return int(value)


def _cell_for(model, rec):
    """The cell of ``model`` that the trace record came from, checked against the record's shapes."""
    base = rec.name.partition("#")[0]
    if rec.direction is not None:
        base = base[: -len(rec.direction) - 1]
    found = [layer for layer in recurrent_layers(model) if layer.name == base]
    if not found:
        known = ", ".join(layer.name for layer in recurrent_layers(model)) or "none"
        raise RnnlabError(f"`model` has no recurrent layer {base!r} (the trace's {rec.name!r}); its recurrent "
                          f"layers are: {known}. Pass the model the trace was probed from.")
    cell = cells_of(found[0])[rec.direction]
    d = rec.x.shape[-1]
    if cell.kind != rec.kind or cell.num_units != rec.n_units or cell.input_dim != d:
        raise RnnlabError(f"`model`'s layer {base!r} is a {cell.kind} cell with {cell.num_units} units and input_dim "
                          f"{cell.input_dim}, but the trace's {rec.name!r} is {rec.kind} with {rec.n_units} units "
                          f"and input_dim {d}: pass the model the trace was probed from.")
    return cell


def _initial_state(initial_state, states, b, batch, n) -> dict[str, np.ndarray]:
    """-> state name -> [n] for sample b (zeros when None)."""
    if initial_state is None:
        return {s: np.zeros(n) for s in states}
    parts = tuple(initial_state) if len(states) == 2 and isinstance(initial_state, (tuple, list)) \
        else (initial_state,)
    shaped = [np.asarray(p, dtype=np.float64) for p in parts]
    if len(shaped) != len(states) or any(p.shape != (batch, n) for p in shaped):
        expected = "a pair (c, h)" if len(states) == 2 else "h"
        raise RnnlabError(f"`initial_state` must be {expected}, each [{batch}, {n}] (batch, units); received "
                          f"{describe(initial_state)}.")
    return {s: p[b] for s, p in zip(states, shaped)}


def _prev_steps(time_steps: int, length: int, backward: bool) -> list[int | None]:
    """For each step t, the step whose state it reads (padded steps: whose state is carried); None: initial."""
    out = []
    for t in range(time_steps):
        if t >= length:
            out.append((0 if backward else length - 1) if length > 0 else None)
        elif backward:
            out.append(t + 1 if t + 1 < length else None)
        else:
            out.append(t - 1 if t > 0 else None)
    return out


def _weights(matrix, bias, d):
    m = np.asarray(matrix.numpy(), dtype=np.float64)
    b = np.zeros(m.shape[1]) if bias is None else np.asarray(bias.numpy(), dtype=np.float64)
    return m[:d], m[d:], b  # [D, k n], [n, k n], [k n]


def _apply(fn, values: np.ndarray) -> np.ndarray:
    """A cell activation (TensorFlow) on [T, n] float64 values -> ndarray."""
    return np.asarray(fn(tf.constant(values, dtype=tf.float64)), dtype=np.float64)


def _gates(cell, kind, x, h_prev, q):
    """-> [(name, symbol, parts)] where parts holds [T, n] arrays from_x, from_h, bias, offset, value,
    recomputed and the activation's display name."""
    d, n = x.shape[1], h_prev.shape[1]
    found = []
    if kind == "gru":
        wx, wh, bias = _weights(cell.gates_matrix, cell.gates_bias, d)
        cx, ch, cbias = _weights(cell.candidate_matrix, cell.candidate_bias, d)
    else:
        wx, wh, bias = _weights(cell.matrix, cell.bias_vector, d)
    for name, symbol, block in GATES[kind]:
        if kind == "gru" and name == "candidate":  # reset applied to h_prev before the matmul
            from_x, from_h, b = x @ cx, (q["reset"] * h_prev) @ ch, cbias
        else:
            cols = slice(block * n, (block + 1) * n)
            from_x, from_h, b = x @ wx[:, cols], h_prev @ wh[:, cols], bias[cols]
        offset = cell.forget_bias if (kind == "lstm" and name == "forget") else 0.0
        gate_fn = cell.activation_fn if name in ("candidate", "h") else cell.inner_activation_fn
        act_name = cell.activation if name in ("candidate", "h") else cell.inner_activation
        b = np.broadcast_to(b, from_x.shape)
        found.append((name, symbol, {
            "from_x": from_x, "from_h": from_h, "bias": b, "offset": np.full(from_x.shape, offset),
            "value": q[name], "recomputed": _apply(gate_fn, from_x + from_h + b + offset),
            "activation": _act_name(act_name),
        }))
    return found


def _terms(kind, gates, prev, act_c) -> dict[str, float]:
    if kind == "lstm":
        f, i, j = gates["forget"].value, gates["input"].value, gates["candidate"].value
        return {"f*c_prev": f * prev["c"], "i*j": i * j, "act(c)": act_c}
    if kind == "gru":
        u, cand = gates["update"].value, gates["candidate"].value
        return {"u*h_prev": u * prev["h"], "(1-u)*cand": (1.0 - u) * cand}
    return {}


def _act_name(activation) -> str:
    if isinstance(activation, str):
        return activation
    name = activations.name_of(activation)
    return name or getattr(activation, "__name__", "act")


# ------------------------------------------------------------------------------------------ the equations


def _num(value: float, digits: int) -> str:
    """A rounded number, never '-0.000'."""
    return f"{round(float(value), digits) + 0.0:.{digits}f}"


def _factor(value: float, digits: int) -> str:
    """A number as a factor of a product: negatives in parentheses."""
    text = _num(value, digits)
    return f"({text})" if text.startswith("-") else text


def _sum(values, digits: int) -> str:
    """Numbers as a sum: '0.120 + 0.400 - 0.210'."""
    text = _num(values[0], digits)
    for v in values[1:]:
        t = _num(v, digits)
        text += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return text


def _fn(name: str) -> str:
    """An activation's name in LaTeX: sigma, tanh, or an operator name."""
    if name == "sigmoid":
        return r"\sigma"
    if name == "tanh":
        return r"\tanh"
    return r"\operatorname{" + name.replace("_", r"\_") + "}"


def _gate_equation(s: CellStep, gate: Gate, digits: int) -> Equation:
    p, fn = s.prev_symbol, _fn(gate.activation)
    k = "" if gate.name == "h" else {r"\tilde{h}": "c"}.get(gate.symbol, gate.symbol)
    h_part = rf"(r_t \odot h_{{{p}}})" if (s.kind == "gru" and gate.name == "candidate") else f"h_{{{p}}}"
    sub = f"_{{{k}}}" if k else ""
    symbols = rf"{fn}(x_t W_{{x{k}}} + {h_part} W_{{h{k}}} + b{sub}"
    values = [gate.from_x, gate.from_h, gate.bias]
    if gate.offset:
        symbols += r" + \mathrm{forget\_bias}"
        values.append(gate.offset)
    symbols += ")"
    argument = gate.pre_activation + gate.offset
    stages = (f"{fn}({_sum(values, digits)})", f"{fn}({_num(argument, digits)})")
    lhs = "h_t" if gate.name == "h" else f"{gate.symbol}_t"
    return Equation(lhs, symbols, stages, gate.value, digits)


def _equations(s: CellStep, digits: int) -> list[Equation]:
    p = s.prev_symbol
    if s.padded:
        source = f"{s.prev_step}" if s.prev_step is not None else r"\mathrm{init}"
        found = []
        if s.c is not None:
            found.append(Equation("c_t", f"c_{{{source}}}", (), s.c, digits))
        found.append(Equation("h_t", f"h_{{{source}}}", (), s.h, digits))
        return found
    found = [_gate_equation(s, gate, digits) for gate in s.gates.values()]
    g, n, f = s.gates, lambda v: _num(v, digits), lambda v: _factor(v, digits)
    if s.kind == "lstm":
        i, fo, o, j = (g[k].value for k in ("input", "forget", "output", "candidate"))
        found.append(Equation(
            "c_t", rf"f_t \, c_{{{p}}} + i_t \, j_t",
            (rf"{f(fo)} \cdot {f(s.c_prev)} + {f(i)} \cdot {f(j)}",
             _sum([s.terms["f*c_prev"], s.terms["i*j"]], digits)), s.c, digits))
        act = _fn(s.activation)
        found.append(Equation(
            "h_t", rf"o_t \, {act}(c_t)", (rf"{f(o)} \cdot {act}({n(s.c)})", rf"{f(o)} \cdot {f(s.terms['act(c)'])}"),
            s.h, digits))
    elif s.kind == "gru":
        u, cand = g["update"].value, g["candidate"].value
        found.append(Equation(
            "h_t", rf"u_t \, h_{{{p}}} + (1 - u_t) \, \tilde{{h}}_t",
            (rf"{f(u)} \cdot {f(s.h_prev)} + {f(1.0 - u)} \cdot {f(cand)}",
             _sum([s.terms["u*h_prev"], s.terms["(1-u)*cand"]], digits)), s.h, digits))
    return found
