"""The Build page's layer stack editor: one bordered box per layer, every documented argument a widget.

``edit_layers(spec, task)`` draws the stack and returns the layers as the widgets now say. Structural edits
(add, remove, move, change of kind) replace the spec at once and rerun, so every widget starts afresh from
the new spec (their keys carry the spec revision, see app/state.py).
"""

from __future__ import annotations

import streamlit as st

from app.ui import layer_docs as docs
from app import state
from rnnlab.experiments import MAX_LAYERS, MAX_UNITS, CellSpec, LayerSpec

PAGE = "build"


def _key(name: str) -> str:
    return state.key(PAGE, name)


def normalise(layers: list[LayerSpec], last_returns_seq: bool) -> list[LayerSpec]:
    """Every layer that feeds another returns its sequence; the top one returns what the head needs."""
    return [_replace(layer, return_seq=True if i < len(layers) - 1 else bool(last_returns_seq))
            for i, layer in enumerate(layers)]


def _restructure(layers: list[LayerSpec], *, last_returns_seq: bool | None = None) -> None:
    """Replace the stack after a structural edit (widgets start afresh) and rerun. The top layer keeps the
    return_seq the top layer had before, unless told otherwise, so moves and removals stay buildable."""
    if last_returns_seq is None:
        last_returns_seq = state.spec().layers[-1].return_seq
    layers = normalise(list(layers), last_returns_seq)
    state.set_spec(state.spec().replace(layers=tuple(layers)), reset_widgets=True)
    st.rerun()


def convert(layer: LayerSpec, kind: str) -> LayerSpec:
    """A layer turned into another kind, keeping what carries over (units, return_seq, return_state, dynamic,
    scope)."""
    if kind == layer.kind:
        return layer
    if kind == "bidirectional_rnn":
        cell_kind = layer.kind if layer.kind in docs.CELL_KINDS else "lstm"
        cell = CellSpec(kind=cell_kind, n_units=layer.units)
        return LayerSpec(kind=kind, n_units=layer.units, return_seq=layer.return_seq, return_state=layer.return_state,
                         dynamic=layer.dynamic, scope=layer.scope, cell_fw=cell, cell_bw=cell)
    if layer.kind == "bidirectional_rnn":
        return LayerSpec(kind=kind, n_units=layer.units, return_seq=layer.return_seq, return_state=layer.return_state,
                         dynamic=layer.dynamic, scope=layer.scope)
    return _replace(layer, kind=kind, activation=None)


def _replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def new_layer(kind: str, n_units: int = 16, *, return_seq: bool = False) -> LayerSpec:
    """A fresh layer of ``kind`` (bidirectional: two LSTM cells)."""
    if kind == "bidirectional_rnn":
        cell = CellSpec(kind="lstm", n_units=n_units)
        return LayerSpec(kind=kind, n_units=n_units, return_seq=return_seq, cell_fw=cell, cell_bw=cell)
    return LayerSpec(kind=kind, n_units=n_units, return_seq=return_seq)


def _activation(label: str, value, default_name: str, key: str, help_text: str):
    options = [None, *docs.ACTIVATIONS]
    if value not in options:
        options.append(value)
    return st.selectbox(
        label, options, index=options.index(value), key=key, help=help_text,
        format_func=lambda a: f"default ({default_name})" if a is None else a,
    )


def _weights_init(value, key: str):
    options = [None, *docs.WEIGHTS_INITS]
    if value not in options:
        options.append(value)
    return st.selectbox(
        "weights_init", options, index=options.index(value), key=key, help=docs.HELP["weights_init"],
        format_func=lambda w: "default (Glorot uniform)" if w is None else w,
    )


def _dropout(layer: LayerSpec, i: int):
    keeps = layer.dropout if isinstance(layer.dropout, tuple) else (
        (layer.dropout, layer.dropout) if layer.dropout is not None else (1.0, 1.0))
    on = st.checkbox("dropout", value=layer.dropout is not None, key=_key(f"l{i}_dropout_on"), help=docs.HELP["dropout"])
    if not on:
        return None
    # side by side; one under the other in presentation mode, where two such labels do not fit the width
    a, b = (st.container(), st.container()) if state.presentation() else st.columns(2)
    keep_in = a.number_input("input_keep_prob", 0.0, 1.0, float(keeps[0]), 0.05, key=_key(f"l{i}_keep_in"),
                             help=docs.HELP["input_keep_prob"])
    keep_out = b.number_input("output_keep_prob", 0.0, 1.0, float(keeps[1]), 0.05, key=_key(f"l{i}_keep_out"),
                              help=docs.HELP["output_keep_prob"])
    return float(keep_in) if keep_in == keep_out else (float(keep_in), float(keep_out))


def _cell(cell: CellSpec, i: int, side: str) -> CellSpec:
    title = "forward cell (rnncell_fw)" if side == "fw" else "backward cell (rnncell_bw)"
    st.markdown(f"**{title}**", help=docs.HELP[f"cell_{side}"])
    kinds = list(docs.CELL_KINDS)
    kind = st.selectbox("cell", kinds, index=kinds.index(cell.kind), key=_key(f"l{i}_{side}_kind"),
                        format_func=lambda k: docs.CELL_TITLES[k], help=docs.HELP["cell_kind"])
    if kind != cell.kind:
        layers = list(state.spec().layers)
        changed = _replace(cell, kind=kind, activation=None)
        layers[i] = _replace(layers[i], **{f"cell_{side}": changed})
        _restructure(layers)
    n_units = st.number_input("num_units", 1, MAX_UNITS, int(cell.n_units), key=_key(f"l{i}_{side}_units"),
                              help=docs.HELP["num_units"])
    activation = _activation("activation", cell.activation, docs.DEFAULT_CELL_ACTIVATION[cell.kind],
                             _key(f"l{i}_{side}_act"), docs.HELP["cell_activation"])
    inner, forget_bias = cell.inner_activation, cell.forget_bias
    if cell.kind in ("lstm", "gru"):
        inner = st.selectbox("inner_activation", list(docs.ACTIVATIONS), index=_index(docs.ACTIVATIONS, inner),
                             key=_key(f"l{i}_{side}_inner"), help=docs.HELP["inner_activation"])
    if cell.kind == "lstm":
        forget_bias = st.number_input("forget_bias", -100.0, 100.0, float(cell.forget_bias), 0.5,
                                      key=_key(f"l{i}_{side}_fb"), help=docs.HELP["forget_bias"])
    weights_init = _weights_init(cell.weights_init, _key(f"l{i}_{side}_init"))
    bias = st.checkbox("bias", value=cell.bias, key=_key(f"l{i}_{side}_bias"), help=docs.HELP["bias"])
    return CellSpec(kind=cell.kind, n_units=int(n_units), activation=activation, inner_activation=inner,
                    bias=bool(bias), weights_init=weights_init, forget_bias=float(forget_bias))


def _index(options, value) -> int:
    options = list(options)
    return options.index(value) if value in options else 0


def _layer(layer: LayerSpec, i: int, count: int) -> LayerSpec:
    kinds = list(docs.LAYER_KINDS)
    present = state.presentation()  # large type: fewer widgets side by side
    top = st.columns([3, 2, 2], vertical_alignment="bottom")
    kind = top[0].selectbox(f"Layer {i}", kinds, index=kinds.index(layer.kind), key=_key(f"l{i}_kind"),
                            format_func=lambda k: docs.LAYER_TITLES[k], help=docs.HELP["kind"])
    if kind != layer.kind:
        layers = list(state.spec().layers)
        layers[i] = convert(layer, kind)
        _restructure(layers)
    n_units = layer.n_units
    if layer.kind != "bidirectional_rnn":
        n_units = top[1].number_input("n_units", 1, MAX_UNITS, int(layer.n_units), key=_key(f"l{i}_units"),
                                      help=docs.HELP["n_units"])
    layers = list(state.spec().layers)
    with top[2].container(horizontal=True, gap="small", horizontal_alignment="right"):  # wraps when narrow
        up = st.button("↑", key=_key(f"l{i}_up"), disabled=i == 0, help="Move this layer up")
        down = st.button("↓", key=_key(f"l{i}_down"), disabled=i == count - 1, help="Move this layer down")
        remove = st.button("✕", key=_key(f"l{i}_remove"), disabled=count == 1, help="Remove this layer")
    if up:
        layers[i - 1], layers[i] = layers[i], layers[i - 1]
        _restructure(layers)
    if down:
        layers[i + 1], layers[i] = layers[i], layers[i + 1]
        _restructure(layers)
    if remove:
        del layers[i]
        _restructure(layers)

    if layer.kind == "bidirectional_rnn":
        left, right = st.columns(2)
        with left:
            cell_fw = _cell(layer.cell_fw or CellSpec(), i, "fw")
        with right:
            cell_bw = _cell(layer.cell_bw or CellSpec(), i, "bw")
        flags, scope_column = st.columns([3, 1], vertical_alignment="bottom")
        with flags.container(horizontal=True, gap="medium"):  # as many checkboxes a row as fit, whole
            return_seq = st.checkbox("return_seq", layer.return_seq, key=_key(f"l{i}_seq"), help=docs.HELP["return_seq"])
            return_states = st.checkbox("return_states", layer.return_state, key=_key(f"l{i}_state"),
                                        help=docs.HELP["return_states"])
            dynamic = st.checkbox("dynamic", layer.dynamic, key=_key(f"l{i}_dynamic"), help=docs.HELP["dynamic"])
        scope = scope_column.text_input("scope", layer.scope or "", key=_key(f"l{i}_scope"), help=docs.HELP["scope"])
        return LayerSpec(kind=layer.kind, n_units=cell_fw.n_units, return_seq=bool(return_seq),
                         return_state=bool(return_states), dynamic=bool(dynamic), scope=scope.strip() or None,
                         cell_fw=cell_fw, cell_bw=cell_bw)

    row = st.columns(2 if present else 4)  # presentation: two rows of two
    with row[0]:
        activation = _activation("activation", layer.activation, docs.DEFAULT_ACTIVATION[layer.kind],
                                 _key(f"l{i}_act"), docs.HELP["activation"])
    inner, forget_bias = layer.inner_activation, layer.forget_bias
    if layer.kind in ("lstm", "gru"):
        inner = row[1].selectbox("inner_activation", list(docs.ACTIVATIONS), index=_index(docs.ACTIVATIONS, inner),
                                 key=_key(f"l{i}_inner"), help=docs.HELP["inner_activation"])
    if layer.kind == "lstm":
        forget_bias = row[2 % len(row)].number_input("forget_bias", -100.0, 100.0, float(layer.forget_bias), 0.5,
                                                     key=_key(f"l{i}_fb"), help=docs.HELP["forget_bias"])
    with row[3 % len(row)]:
        weights_init = _weights_init(layer.weights_init, _key(f"l{i}_init"))
    row = st.columns([2, 1, 1])
    with row[0]:
        dropout = _dropout(layer, i)
    bias = row[1].checkbox("bias", layer.bias, key=_key(f"l{i}_bias"), help=docs.HELP["bias"])
    scope = row[2].text_input("scope", layer.scope or "", key=_key(f"l{i}_scope"), help=docs.HELP["scope"])
    with st.container(horizontal=True, gap="medium"):  # as many checkboxes a row as fit, each label whole
        return_seq = st.checkbox("return_seq", layer.return_seq, key=_key(f"l{i}_seq"), help=docs.HELP["return_seq"])
        return_state = st.checkbox("return_state", layer.return_state, key=_key(f"l{i}_state"),
                                   help=docs.HELP["return_state"])
        dynamic = st.checkbox("dynamic", layer.dynamic, key=_key(f"l{i}_dynamic"), help=docs.HELP["dynamic"])
        trainable = st.checkbox("trainable", layer.trainable, key=_key(f"l{i}_trainable"), help=docs.HELP["trainable"])
        restore = st.checkbox("restore", layer.restore, key=_key(f"l{i}_restore"), help=docs.HELP["restore"])
    return LayerSpec(
        kind=layer.kind, n_units=int(n_units), activation=activation, inner_activation=inner, dropout=dropout,
        bias=bool(bias), weights_init=weights_init, forget_bias=float(forget_bias), return_seq=bool(return_seq),
        return_state=bool(return_state), dynamic=bool(dynamic), trainable=bool(trainable), restore=bool(restore),
        scope=scope.strip() or None,
    )


def edit_layers(spec, task: str | None) -> tuple[LayerSpec, ...]:
    """Draw the stack; -> the layers as the widgets say (structural edits rerun at once)."""
    count = len(spec.layers)
    edited = []
    for i, layer in enumerate(spec.layers):
        with st.container(border=True):
            edited.append(_layer(layer, i, count))
    add = st.columns([2, 1], vertical_alignment="bottom")
    kind = add[0].selectbox("New layer", list(docs.LAYER_KINDS), key=_key("new_kind"),
                            format_func=lambda k: docs.LAYER_TITLES[k], help=docs.HELP["kind"])
    if add[1].button("Add layer", key=_key("add"), disabled=count >= MAX_LAYERS, icon=":material/add:"):
        layers = list(edited)
        # the layer below must hand over its whole sequence; the new top returns what the head needs
        top = layers[-1].return_seq if task is None else task == "sequence_labelling"
        layers.append(new_layer(kind, layers[-1].units))
        _restructure(layers, last_returns_seq=top)
    st.caption(
        f"At most {MAX_LAYERS} layers of at most {MAX_UNITS} units. Adding, moving and removing layers keeps "
        "return_seq on every layer that feeds another (it reads the whole sequence [B, T, n])."
    )
    return tuple(edited)
