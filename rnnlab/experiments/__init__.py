"""Experiments: one ExperimentSpec (JSON, URL) describes data, layers, head and training; build, train, store.

    from rnnlab.experiments import ExperimentSpec, LayerSpec, PRESETS, build_model, load_data, train, RunStore

The names below load on first use (PEP 562), each from its own module: the pure-data ones (spec, presets,
lessons, claims, verdict) without TensorFlow, so a page that only shows lessons need not wait for it.
"""

import importlib

#: public name -> the module of this package that defines it
_EXPORTS = {
    **dict.fromkeys(("Evidence", "Focus"), "claims"),
    **dict.fromkeys(("data_plan", "load_data", "standardize"), "data"),
    **dict.fromkeys(("LESSONS", "Lesson", "evidence_for"), "lessons"),
    **dict.fromkeys(("build_model", "head_for", "make_optimizer"), "model"),
    **dict.fromkeys(("PRESET_DESCRIPTIONS", "PRESETS"), "presets"),
    **dict.fromkeys(("Run", "RunNotFound", "RunStore", "new_run_id"), "runs"),
    **dict.fromkeys((
        "CELL_DEFAULT_ACTIVATION", "CELL_KINDS", "DATA_OPTION_KEYS", "HEADS", "LAYER_DEFAULT_ACTIVATION",
        "LAYER_KINDS", "MAX_BATCH_SIZE", "MAX_EPOCHS", "MAX_LAYERS", "MAX_LEARNING_RATE", "MAX_SEED", "MAX_UNITS",
        "OPTIMIZERS", "SCHEMA_VERSION", "CellSpec", "ExperimentSpec", "LayerSpec", "SpecError",
    ), "spec"),
    **dict.fromkeys(("Verdict", "against_baseline"), "verdict"),
    **dict.fromkeys((
        "EVAL_BATCH_SIZE", "HistoryRecorder", "StopTraining", "TrainingCallback", "TrainingDiverged", "TrainResult",
        "baseline", "split_dataset", "targets", "train",
    ), "training"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    """A public name -> imported from its module on first use; a submodule name -> that module."""
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
