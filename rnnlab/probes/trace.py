"""Trace: what a probe recorded, every gate and state of every recurrent layer at every step.

Quantities, named as in DESIGN.md, each [B, T, n]: LSTM input, candidate, forget, output, c, h;
GRU reset, update, candidate, h; SimpleRNN pre_activation, h. Steps past a sample's length are 0 there
(``valid`` says which steps count). A bidirectional layer reports its two directions as 'NAME/fw' and
'NAME/bw', the backward one in original time order.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnnlab.errors import RnnlabError

QUANTITIES = {
    "simple_rnn": ("pre_activation", "h"),
    "lstm": ("input", "candidate", "forget", "output", "c", "h"),
    "gru": ("reset", "update", "candidate", "h"),
}




@dataclass
class LayerTrace:
    """What one recurrent layer (one direction of a bidirectional layer) computed at every step.

    quantities: name -> [B, T, n]; x: the layer's input [B, T, D]; valid: [B, T] bool; seq_len: [B] int;
    grad_norm: [B, T] (||dL/dh_t||) or None when no loss was given; gate_path: how the probe recorded the gates,
    'sequential' (written by the time loop at every step) or 'batched' (recomputed from the loop's states in one
    batched cell call; the same values). A probe's arrays are read-only views: copy one to change it.
    """

    name: str
    kind: str
    direction: str | None
    quantities: dict[str, np.ndarray]
    x: np.ndarray
    valid: np.ndarray
    seq_len: np.ndarray
    grad_norm: np.ndarray | None = None
    gate_path: str = "sequential"

    @property
    def n_units(self) -> int:
        return int(self.quantities["h"].shape[-1])


@dataclass
class Trace:
    """Per-layer records of one probed forward pass; keys are layer names ('NAME/fw', 'NAME/bw' for BiRNN)."""

    layers: dict[str, LayerTrace] = field(default_factory=dict)
    output: np.ndarray | None = None
    loss: float | None = None

    @property
    def layer_names(self) -> list[str]:
        return list(self.layers)

    def layer(self, name: str) -> LayerTrace:
        """name -> LayerTrace, with a clear error for unknown names."""
        if name not in self.layers:
            raise RnnlabError(f"Unknown layer {name!r} in this trace; it holds: {', '.join(self.layers)}.")
        return self.layers[name]

    def get(self, layer: str, quantity: str) -> np.ndarray:
        """-> [B, T, n] values of ``quantity`` in ``layer`` (or [B, T] for 'grad_norm', [B, T] bool for 'valid')."""
        record = self.layer(layer)
        if quantity == "grad_norm":
            if record.grad_norm is None:
                raise RnnlabError(f"Layer {layer!r} has no 'grad_norm': probe with y (and a loss) to get one.")
            return record.grad_norm
        if quantity in ("x", "valid", "seq_len"):
            return getattr(record, quantity)
        if quantity not in record.quantities:
            raise RnnlabError(
                f"Unknown quantity {quantity!r} for {record.kind} layer {layer!r}; expected one of: "
                f"{', '.join(record.quantities)}, grad_norm, x, valid, seq_len."
            )
        return record.quantities[quantity]

    def to_frame(self) -> pd.DataFrame:
        """-> long DataFrame: layer, direction, sample, t, unit, quantity, value, valid (grad_norm has unit -1)."""
        frames = []
        for name, rec in self.layers.items():
            b, t, n = rec.quantities["h"].shape
            sample, step, unit = np.meshgrid(np.arange(b), np.arange(t), np.arange(n), indexing="ij")
            valid = np.broadcast_to(rec.valid[:, :, None], (b, t, n))
            for quantity, values in rec.quantities.items():
                frames.append(pd.DataFrame({
                    "layer": name, "direction": rec.direction or "", "sample": sample.ravel(),
                    "t": step.ravel(), "unit": unit.ravel(), "quantity": quantity,
                    "value": values.ravel().astype("float64"), "valid": valid.ravel(),
                }))
            if rec.grad_norm is not None:
                s, st = np.meshgrid(np.arange(b), np.arange(t), indexing="ij")
                frames.append(pd.DataFrame({
                    "layer": name, "direction": rec.direction or "", "sample": s.ravel(), "t": st.ravel(),
                    "unit": -1, "quantity": "grad_norm", "value": rec.grad_norm.ravel().astype("float64"),
                    "valid": rec.valid.ravel(),
                }))
        columns = ["layer", "direction", "sample", "t", "unit", "quantity", "value", "valid"]
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)

    def save(self, path) -> None:
        """Write the trace to one ``.npz`` file (atomically: a crash leaves any previous file intact)."""
        arrays, meta = {}, {"layers": [], "loss": self.loss}
        for i, (name, rec) in enumerate(self.layers.items()):
            meta["layers"].append({"name": name, "kind": rec.kind, "direction": rec.direction,
                                   "quantities": list(rec.quantities), "grad": rec.grad_norm is not None,
                                   "gate_path": rec.gate_path})
            for q, v in rec.quantities.items():
                arrays[f"{i}:{q}"] = v
            arrays[f"{i}:_x"], arrays[f"{i}:_valid"], arrays[f"{i}:_seq_len"] = rec.x, rec.valid, rec.seq_len
            if rec.grad_norm is not None:
                arrays[f"{i}:_grad_norm"] = rec.grad_norm
        if self.output is not None:
            arrays["_output"] = self.output
        buffer = io.BytesIO()
        np.savez_compressed(buffer, _meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=".tmp") as handle:
            handle.write(buffer.getvalue())
        os.replace(handle.name, path)

    @classmethod
    def load(cls, path_or_buffer) -> "Trace":
        """Read a trace written by :meth:`save`."""
        with np.load(path_or_buffer, allow_pickle=False) as data:
            meta = json.loads(bytes(data["_meta"]).decode())
            layers = {}
            for i, info in enumerate(meta["layers"]):
                layers[info["name"]] = LayerTrace(
                    name=info["name"], kind=info["kind"], direction=info["direction"],
                    quantities={q: data[f"{i}:{q}"] for q in info["quantities"]},
                    x=data[f"{i}:_x"], valid=data[f"{i}:_valid"], seq_len=data[f"{i}:_seq_len"],
                    grad_norm=data[f"{i}:_grad_norm"] if info["grad"] else None,
                    gate_path=info.get("gate_path", "sequential"),
                )
            output = data["_output"] if "_output" in data.files else None
        return cls(layers=layers, output=output, loss=meta.get("loss"))
