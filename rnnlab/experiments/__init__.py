"""Experiments: one ExperimentSpec (JSON, URL) describes data, layers, head and training; build, train, store.

    from rnnlab.experiments import ExperimentSpec, LayerSpec, PRESETS, build_model, load_data, train, RunStore
"""

from rnnlab.experiments.claims import Evidence, Focus
from rnnlab.experiments.data import data_plan, load_data, standardize
from rnnlab.experiments.lessons import LESSONS, Lesson, evidence_for
from rnnlab.experiments.model import build_model, head_for, make_optimizer
from rnnlab.experiments.presets import PRESET_DESCRIPTIONS, PRESETS
from rnnlab.experiments.runs import Run, RunNotFound, RunStore, new_run_id
from rnnlab.experiments.spec import (
    CELL_DEFAULT_ACTIVATION,
    CELL_KINDS,
    DATA_OPTION_KEYS,
    HEADS,
    LAYER_DEFAULT_ACTIVATION,
    LAYER_KINDS,
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_LEARNING_RATE,
    MAX_SEED,
    MAX_UNITS,
    OPTIMIZERS,
    SCHEMA_VERSION,
    CellSpec,
    ExperimentSpec,
    LayerSpec,
    SpecError,
)
from rnnlab.experiments.verdict import Verdict, against_baseline
from rnnlab.experiments.training import (
    EVAL_BATCH_SIZE,
    HistoryRecorder,
    StopTraining,
    TrainingCallback,
    TrainingDiverged,
    TrainResult,
    baseline,
    split_dataset,
    targets,
    train,
)

__all__ = [
    "Evidence",
    "Focus",
    "LESSONS",
    "Lesson",
    "evidence_for",
    "Verdict",
    "against_baseline",
    "data_plan",
    "load_data",
    "standardize",
    "build_model",
    "head_for",
    "make_optimizer",
    "PRESET_DESCRIPTIONS",
    "PRESETS",
    "Run",
    "RunNotFound",
    "RunStore",
    "new_run_id",
    "CELL_DEFAULT_ACTIVATION",
    "CELL_KINDS",
    "DATA_OPTION_KEYS",
    "HEADS",
    "LAYER_DEFAULT_ACTIVATION",
    "LAYER_KINDS",
    "MAX_BATCH_SIZE",
    "MAX_EPOCHS",
    "MAX_LAYERS",
    "MAX_LEARNING_RATE",
    "MAX_SEED",
    "MAX_UNITS",
    "OPTIMIZERS",
    "SCHEMA_VERSION",
    "CellSpec",
    "ExperimentSpec",
    "LayerSpec",
    "SpecError",
    "EVAL_BATCH_SIZE",
    "HistoryRecorder",
    "StopTraining",
    "TrainingCallback",
    "TrainingDiverged",
    "TrainResult",
    "baseline",
    "split_dataset",
    "targets",
    "train",
]
