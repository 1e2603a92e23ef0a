"""See inside recurrent layers: the Trace of a probe, probing, hooks and interventions, the Padding lab."""

from rnnlab.probes.hooks import Hook, StepRecords, add_hook
from rnnlab.probes.interventions import Intervention
from rnnlab.probes.probe import probe
from rnnlab.probes.selection import recurrent_layers, select_layers
from rnnlab.probes.trace import QUANTITIES, LayerTrace, Trace

__all__ = [
    "QUANTITIES",
    "Hook",
    "Intervention",
    "LayerTrace",
    "StepRecords",
    "Trace",
    "add_hook",
    "probe",
    "recurrent_layers",
    "select_layers",
]
