"""The URL form of an ExperimentSpec: {key: str} for st.query_params and back (ExperimentSpec.to_query / from_query)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from rnnlab.experiments.spec import CellSpec, ExperimentSpec, LayerSpec, SpecError, _received


def to_query(spec: ExperimentSpec) -> dict[str, str]:
    """The body of :meth:`ExperimentSpec.to_query` (documented there)."""
    query = {}
    for name in ("schema_version", "dataset", "head", "optimizer", "learning_rate", "batch_size", "epochs",
                 "seed", "validation_split"):
        query[name] = _encode(getattr(spec, name))
    for key, value in spec.dataset_options.items():
        query[f"dataset_options.{key}"] = _encode(value)
    query["layers"] = str(len(spec.layers))
    for i, layer in enumerate(spec.layers):
        query[f"l{i}.kind"] = layer.kind
        for name, value in _non_defaults(layer, LayerSpec(kind=layer.kind)).items():
            if name in ("cell_fw", "cell_bw"):
                prefix = f"l{i}.{name[-2:]}"
                if value is None:
                    query[prefix] = "null"
                    continue
                query[f"{prefix}.kind"] = value.kind
                for cell_name, cell_value in _non_defaults(value, CellSpec(kind=value.kind)).items():
                    query[f"{prefix}.{cell_name}"] = _encode(cell_value)
            else:
                query[f"l{i}.{name}"] = _encode(value)
    return query


def from_query(query, cls=ExperimentSpec) -> ExperimentSpec:
    """The body of :meth:`ExperimentSpec.from_query` (documented there); ``cls`` is the class it is called on."""
    query = {str(k): (v[-1] if isinstance(v, list) else v) for k, v in dict(query).items()}
    top = {f.name for f in dataclasses.fields(cls)} - {"layers", "dataset_options"}
    data: dict[str, Any] = {"dataset_options": {}}
    layer_fields = {f.name for f in dataclasses.fields(LayerSpec)} - {"cell_fw", "cell_bw"}
    cell_fields = {f.name for f in dataclasses.fields(CellSpec)}
    count = query.pop("layers", None)
    try:
        count = int(count) if count is not None else None
    except ValueError:
        raise SpecError("layers", f"expected the number of layers; received {_received(count)}.") from None
    layers: dict[int, dict] = {}
    for key, text in query.items():
        if key in top:
            data[key] = _decode(text)
            continue
        if key.startswith("dataset_options."):
            data["dataset_options"][key.split(".", 1)[1]] = _decode(text)
            continue
        match = re.fullmatch(r"l(\d+)\.(?:(fw|bw)(?:\.(\w+))?|(\w+))", key)
        if not match:
            raise SpecError(key, "unknown setting in the query string.")
        index = int(match.group(1))
        where = f"layers[{index}]"
        layer = layers.setdefault(index, {})
        if match.group(2):
            cell_key = f"cell_{match.group(2)}"
            if match.group(3) is None:
                if text not in ("null", ""):
                    raise SpecError(f"{where}.{cell_key}", f"expected 'null' or fields; received {_received(text)}.")
                layer[cell_key] = None
            elif match.group(3) in cell_fields:
                cell = layer.get(cell_key) or {}
                cell[match.group(3)] = _decode(text) if match.group(3) != "kind" else text
                layer[cell_key] = cell
            else:
                raise SpecError(f"{where}.{cell_key}.{match.group(3)}", "unknown field in the query string.")
        elif match.group(4) in layer_fields:
            layer[match.group(4)] = _decode(text) if match.group(4) != "kind" else text
        else:
            raise SpecError(f"{where}.{match.group(4)}", "unknown field in the query string.")
    if count is None:
        count = max(layers) + 1 if layers else 1
    extra = sorted(i for i in layers if i >= count)
    if extra:
        raise SpecError(f"layers[{extra[0]}]", f"the query string says there are {count} layers.")
    data["layers"] = [layers.get(i, {}) for i in range(count)]
    return cls.from_dict(data)


def _non_defaults(obj, default) -> dict:
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if f.name != "kind" and getattr(obj, f.name) != getattr(default, f.name)
    }


def _encode(value) -> str:
    """A value -> query text: plain strings as they are, everything else (and strings that look like JSON) as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, separators=(",", ":"))


def _decode(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text
