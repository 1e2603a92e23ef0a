"""`rnnlab`: train specs, list runs, probe a run, start the app, print the presets.

    rnnlab train SPEC.json [--epochs N] [--runs-dir runs]   progress on stderr; metrics and the run id on stdout
    rnnlab train adding_lstm                               a preset name works in place of a file
    rnnlab train SPEC.json --strategy multi_worker          one process per machine, TF_CONFIG set on each
    rnnlab runs [--compare A B] [--delete RUN]             the run store
    rnnlab runs --export RUN [--to PATH]                   one run as one file, <run-id>.rnnlab.zip
    rnnlab runs --import FILE                              add an exported run to this store
    rnnlab probe RUN --samples 0,3 --out trace.csv          gates and states of test samples of a run
    rnnlab app [-- streamlit arguments]                    streamlit run app/streamlit_app.py
    rnnlab presets [NAME] [--out DIR]                       the lesson presets as JSON

Exit codes: 0 done, 1 a run could not be probed, 2 a user error: bad arguments, or training diverged (NaN / inf
loss: one line on stderr says where and what to try), 130 interrupted. The first Ctrl-C during `train` stops after the current batch and still saves the run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad argument found after parsing: reported as one line on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line on stderr (plus where to find help) and exit with code 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------------------------------- helpers


def _read_spec(source: str):
    from rnnlab.experiments import PRESETS, ExperimentSpec, SpecError

    path = Path(source)
    if path.is_file():
        try:
            return ExperimentSpec.from_json(path.read_text(encoding="utf-8"))
        except SpecError as error:
            raise UsageError(f"{source}: {error}") from None
        except OSError as error:
            raise UsageError(f"cannot read {source}: {error.strerror}") from None
    if source in PRESETS:
        return PRESETS[source]
    raise UsageError(f"SPEC {source!r} is neither a JSON file nor a preset ({', '.join(PRESETS)})")


def _samples(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sample indices like 0,3; received {text!r}") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative sample indices like 0,3; received {text!r}")
    return values


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number; received {text!r}")
    return value


def _format_metrics(metrics: dict) -> str:
    parts = []
    for key, value in metrics.items():
        if isinstance(value, float):
            parts.append(f"{key}={value:.4g}")
        else:
            parts.append(f"{key}={value}")
    return " ".join(parts)


class ProgressBar:
    """A training callback that draws one progress line on a stream (stderr), redrawn in place on a terminal."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0
        self.metric = "metric"

    def on_train_begin(self, logs):
        self.metric = logs.get("metric", self.metric)
        self.stream.write(
            f"training on {logs['n_train']} sequences ({logs['n_test']} test), {logs['epochs']} epochs of "
            f"{logs['n_batches']} batches\n"
        )

    def on_batch_end(self, batch, logs):
        now = time.perf_counter()
        if not self.tty or (now - self._last < 0.1 and batch < logs["n_batches"]):
            return
        self._last = now
        done = int(self.width * batch / logs["n_batches"])
        bar = "#" * done + "." * (self.width - done)
        self.stream.write(
            f"\repoch {logs['epoch']}/{logs['epochs']} [{bar}] {batch}/{logs['n_batches']} "
            f"loss {logs['loss']:.4f} {logs['seconds']:.0f}s"
        )
        self.stream.flush()

    def on_epoch_end(self, epoch, logs):
        values = " ".join(f"{k} {v:.4f}" for k, v in logs.items() if k not in ("epoch", "seconds", "elapsed"))
        prefix = "\r" if self.tty else ""
        self.stream.write(f"{prefix}epoch {epoch}: {values} ({logs['seconds']:.1f}s){' ' * 20}\n")
        self.stream.flush()


# ---------------------------------------------------------------------------------------------- commands


def cmd_train(args) -> int:
    from rnnlab.experiments import RunStore, SpecError, train

    spec = _read_spec(args.spec)
    if args.epochs:
        spec = spec.replace(epochs=args.epochs)
    if args.seed is not None:
        spec = spec.replace(seed=args.seed)
    try:
        spec.validate()
    except SpecError as error:
        raise UsageError(str(error)) from None
    strategy = _strategy(args.strategy)
    stop = threading.Event()
    previous = None

    def interrupt(signum, frame):
        if stop.is_set():  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        stop.set()
        sys.stderr.write("\nstopping after this batch (Ctrl-C again to abort)\n")

    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, interrupt)
    try:
        try:
            result = train(spec, callbacks=[] if args.quiet else [ProgressBar()], stop_flag=stop, strategy=strategy)
        except SpecError as error:
            raise UsageError(str(error)) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if result.diverged:  # a user error (the settings), said in one line; the finished epochs are still kept
        if len(result.history) and not args.no_save and (strategy is None or strategy.extended.should_checkpoint):
            print(_format_metrics(result.final_metrics))
            print(f"run {RunStore(args.runs_dir).save(spec, result)}")
        raise UsageError(result.message)
    print(result.message, file=sys.stderr)
    print(_format_metrics(result.final_metrics))
    if args.no_save:
        pass
    elif strategy is not None and not strategy.extended.should_checkpoint:
        print("not saving: another worker (the chief, task 0) saves the run", file=sys.stderr)
    else:
        run_id = RunStore(args.runs_dir).save(spec, result)
        print(f"run {run_id}")
    return EXIT_OK


def _strategy(name: str):
    """'default' | 'mirrored' | 'multi_worker' -> None or a tf.distribute strategy (made before other TF work)."""
    if name == "default":
        return None
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if "TF_CONFIG" not in os.environ:
        raise UsageError("--strategy multi_worker needs TF_CONFIG (the cluster and this worker's index) in the environment")
    return tf.distribute.MultiWorkerMirroredStrategy()


def cmd_runs(args) -> int:
    import pandas as pd

    from rnnlab.experiments import RunStore

    store = RunStore(args.runs_dir)
    if args.to and not args.export:
        raise UsageError("--to goes with --export RUN (where to write the run's file)")
    if args.export:
        print(f"wrote {store.export(args.export, args.to)}")
        return EXIT_OK
    if args.import_:
        print(f"{store.import_run(args.import_).message} (in {args.runs_dir}/)")
        return EXIT_OK
    if args.delete:
        print(f"deleted {store.delete(args.delete)}")
        return EXIT_OK
    if args.compare:
        frame = store.compare(*args.compare)
    else:
        frame = store.list()
        if frame.empty:
            print(f"no runs in {args.runs_dir}/")
            return EXIT_OK
        frame = frame.drop(columns=["message"]).dropna(axis=1, how="all")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        print(frame.to_string())
    return EXIT_OK


def cmd_probe(args) -> int:
    import rnnlab
    from rnnlab.experiments import RunStore, load_data

    probe = getattr(rnnlab, "probe", None)
    if probe is None:
        print("rnnlab probe: error: this rnnlab has no rnnlab.probe yet", file=sys.stderr)
        return EXIT_FAILED
    out = Path(args.out)
    if out.suffix not in (".csv", ".npz"):
        raise UsageError(f"--out must end in .csv or .npz; received {args.out!r}")
    run = RunStore(args.runs_dir).load(args.run)
    if run.model is None:
        print(f"rnnlab probe: error: run {run.run_id} has no saved model", file=sys.stderr)
        return EXIT_FAILED
    train_data, test_data = run.data if run.data is not None else load_data(run.spec)  # a run of an upload keeps it
    data = test_data if args.split == "test" and test_data is not None else train_data
    bad = [i for i in args.samples if i >= data.n_samples]
    if bad:
        raise UsageError(f"--samples {bad[0]} is out of range: the {args.split} set of run {run.run_id} has "
                         f"{data.n_samples} samples (0..{data.n_samples - 1})")
    chosen = data.subset(args.samples)
    trace = probe(run.model, chosen.x, chosen.y)
    if out.suffix == ".npz":
        trace.save(out)
    else:
        frame = trace.to_frame()
        if "sample" in frame.columns:  # sample numbers of the data set, not of the probed batch
            frame["sample"] = frame["sample"].map(dict(enumerate(args.samples)))
        frame.to_csv(out, index=False)
    print(f"wrote {out} (run {run.run_id}, {args.split} samples {','.join(map(str, args.samples))})")
    return EXIT_OK


def app_script() -> Path:
    """-> app/streamlit_app.py of the source tree this rnnlab was imported from."""
    return Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"


def cmd_app(args) -> int:
    import subprocess

    script = app_script()
    if not script.is_file():
        print(f"rnnlab app: error: {script} not found (the app ships with the source tree, not the wheel)",
              file=sys.stderr)
        return EXIT_FAILED
    extra = list(args.streamlit_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    command = [sys.executable, "-m", "streamlit", "run", str(script), *extra]
    try:
        return subprocess.call(command, cwd=str(script.parents[1]))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def cmd_presets(args) -> int:
    from rnnlab.experiments import PRESET_DESCRIPTIONS, PRESETS

    names = [args.name] if args.name else list(PRESETS)
    if args.name and args.name not in PRESETS:
        raise UsageError(f"unknown preset {args.name!r}; expected one of {', '.join(PRESETS)}")
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            (folder / f"{name}.json").write_text(PRESETS[name].to_json() + "\n", encoding="utf-8")
            print(folder / f"{name}.json")
        return EXIT_OK
    if args.name:
        print(PRESETS[args.name].to_json())
        return EXIT_OK
    for name in names:
        print(f"{name:<18} {PRESET_DESCRIPTIONS.get(name, PRESETS[name].describe())}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """-> the argparse parser of `rnnlab` and its subcommands."""
    parser = _Parser(prog="rnnlab", description="TFLearn's recurrent layers with every gate visible: train, "
                     "inspect and compare runs, start the app.")
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--runs-dir", default=os.environ.get("RNNLAB_RUNS_DIR", "runs"),
                       help="where runs are stored (default: ./runs or $RNNLAB_RUNS_DIR, as for the app)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("train", parents=[store], help="train an experiment spec and save the run",
                       description="Train SPEC (a spec JSON file or a preset name); progress on stderr, final "
                       "metrics and the run id on stdout.")
    p.add_argument("spec", metavar="SPEC", help="spec JSON file (see `rnnlab presets --out DIR`) or preset name")
    p.add_argument("--epochs", type=_positive, help="override the spec's epochs")
    p.add_argument("--seed", type=int, help="override the spec's seed")
    p.add_argument("--strategy", choices=("default", "mirrored", "multi_worker"), default="default",
                   help="tf.distribute strategy: mirrored = every local GPU / device; multi_worker = one process "
                   "per machine as TF_CONFIG describes (the worker with index 0 saves the run)")
    p.add_argument("--no-save", action="store_true", help="do not store the run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("runs", parents=[store], help="list, compare, delete, export or import stored runs",
                       description="List the stored runs (oldest first), compare two, delete one, or move one "
                       "between machines as one file (--export / --import). RUN ids may be a unique prefix or 'latest'.")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare the settings and metrics of two runs")
    group.add_argument("--delete", metavar="RUN", help="delete a run")
    group.add_argument("--export", metavar="RUN", help="write the run (spec, weights, history, snapshots, data) "
                       "as one file, <run-id>.rnnlab.zip")
    group.add_argument("--import", dest="import_", metavar="FILE",
                       help="add a run exported with --export to this store (checked in full before anything is written)")
    p.add_argument("--to", metavar="PATH", help="with --export: a .zip file name or a folder (default: here)")
    p.set_defaults(handler=cmd_runs)

    p = sub.add_parser("probe", parents=[store], help="record the gates and states of a run on some samples",
                       description="Probe a stored run's model on test samples and write the trace "
                       "(.csv: long table; .npz: Trace.save).")
    p.add_argument("run", metavar="RUN", help="run id, unique prefix or 'latest'")
    p.add_argument("--samples", type=_samples, default=[0], help="comma-separated sample indices (default 0)")
    p.add_argument("--split", choices=("test", "train"), default="test", help="which split the indices refer to")
    p.add_argument("--out", required=True, help="output file, .csv or .npz")
    p.set_defaults(handler=cmd_probe)

    p = sub.add_parser("app", help="start the Streamlit app",
                       description="Start `streamlit run app/streamlit_app.py`; arguments after -- go to streamlit.")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="e.g. -- --server.port 8502")
    p.set_defaults(handler=cmd_app)

    p = sub.add_parser("presets", help="print or write the lesson presets",
                       description="List the presets, print one as JSON, or write them as NAME.json files.")
    p.add_argument("name", nargs="?", metavar="NAME", help="print this preset's JSON")
    p.add_argument("--out", metavar="DIR", help="write NAME.json files into DIR")
    p.set_defaults(handler=cmd_presets)
    return parser


def main(argv=None) -> int:
    """Entry point of `rnnlab`: argv (default sys.argv[1:]) -> exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    prog = f"rnnlab {args.command}"
    try:
        return args.handler(args)
    except UsageError as error:
        print(f"{prog}: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:  # a spec or data set asking for more than this machine has
        print(f"{prog}: error: out of memory: the data or model asked for is too large for this machine; "
              "use fewer or shorter sequences, or fewer units", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # known failures (bad run id, bad data) as one line, not a traceback
        from rnnlab.errors import RnnlabError

        if isinstance(error, RnnlabError):
            print(f"{prog}: error: {_one_line(error)}", file=sys.stderr)
            return EXIT_USAGE
        raise


def _one_line(error) -> str:
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
