"""See inside recurrent layers: the Trace of a probe, probing, hooks and interventions, the Padding lab, the
padding check of a whole stack (layer_lengths, padding_invariance), and the numbers of one cell step."""

from rnnlab.probes.cell_steps import CellSequence, CellStep, Equation, Gate, cell_step, cell_steps
from rnnlab.probes.hooks import Hook, StepRecords, add_hook
from rnnlab.probes.interventions import Intervention
from rnnlab.probes.padding_check import LayerLengths, PaddingInvariance, layer_lengths, padding_invariance
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
    "LayerLengths",
    "LayerTrace",
    "PaddingInvariance",
    "StepRecords",
    "Trace",
    "add_hook",
    "cell_step",
    "cell_steps",
    "layer_lengths",
    "padding_invariance",
    "probe",
    "recurrent_layers",
    "select_layers",
]
