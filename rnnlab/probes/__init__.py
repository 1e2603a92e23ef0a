"""See inside recurrent layers: the Trace of a probe, probing, hooks and interventions, the Padding lab, and the
numbers of one cell step (step through a cell)."""

from rnnlab.probes.cell_steps import CellSequence, CellStep, Equation, Gate, cell_step, cell_steps
from rnnlab.probes.hooks import Hook, StepRecords, add_hook
from rnnlab.probes.interventions import Intervention
from rnnlab.probes.probe import probe
from rnnlab.probes.selection import recurrent_layers, select_layers
from rnnlab.probes.trace import QUANTITIES, LayerTrace, Trace

__all__ = [
    "QUANTITIES",
    "CellSequence",
    "CellStep",
    "Equation",
    "Gate",
    "Hook",
    "Intervention",
    "LayerTrace",
    "StepRecords",
    "Trace",
    "add_hook",
    "cell_step",
    "cell_steps",
    "probe",
    "recurrent_layers",
    "select_layers",
]
