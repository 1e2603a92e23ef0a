"""Build: the data (sample or your own), the layer stack with every argument, shapes, code and spec JSON."""

import inspect

import streamlit as st

from app import errors, services, state
from app.session import experiment
from app.session import imported_model as imports
from app.ui import figures, layer_editor, messages, model_import

PAGE = "build"
MAX_UPLOAD_MB = int(st.get_option("server.maxUploadSize"))

st.title("Build")
st.caption("Choose the data, stack the layers. Every change is in the address bar at once: copy it to share.")


def generator_options(name: str, options: dict) -> dict:
    """Widgets for a synthetic set's generator arguments (T, delay, ...) -> the options that differ."""
    from rnnlab import datasets

    function = datasets.make_variable_length if name == "variable_length_prepadded" else datasets.GENERATORS[name]
    params = [p for p in inspect.signature(function).parameters.values() if p.name not in ("n_samples", "seed", "padding")]
    chosen = {}
    columns = st.columns(max(1, min(4, len(params))))
    for index, param in enumerate(params):
        default = param.default
        value = options.get(param.name, default)
        column = columns[index % len(columns)]
        key = state.key(PAGE, f"gen_{param.name}")
        if isinstance(default, bool):
            value = column.checkbox(param.name, bool(value), key=key)
        elif isinstance(default, float):
            value = column.number_input(param.name, value=float(value), key=key, format="%.3g")
        elif default is None or isinstance(default, int):
            shown = 0 if value is None else int(value)
            value = column.number_input(param.name, min_value=0, max_value=max(1000, shown), value=shown, key=key,
                                        help="0 = the generator's default." if default is None else None)
            value = None if default is None and value == 0 else int(value)
        else:
            continue
        if value != default:
            chosen[param.name] = value
    return chosen


def sample_data(spec):
    from rnnlab import datasets

    names = datasets.names()
    current = spec.dataset if spec.dataset in names else names[0]
    name = st.selectbox("Data set", names, index=names.index(current), key=state.key(PAGE, "dataset"),
                        format_func=lambda n: f"{services.sample_info(n).title} ({n})")
    info = services.sample_info(name)
    st.markdown(f"**{info.title}**, task: *{info.task}*. {info.description}")
    st.caption(f"What it teaches: {info.what_it_teaches}  \nSource: {info.source}")
    options = dict(spec.dataset_options) if name == spec.dataset else {}
    generated = sorted(set(options) - {"n_samples", "n_test", "data_seed", "generate"})
    can_generate = name in datasets.GENERATORS
    train_size = services.load_sample(name, "train").n_samples
    generate = False
    if can_generate:
        generate = st.toggle("Generate a fresh set (choose the generator's settings)",
                             value=bool(generated or options.get("generate")), key=state.key(PAGE, "generate"),
                             help="Off: the shipped file's train / test split. On: datasets.generate(name, ...).")
    a, b, c = st.columns(3)
    current_n = int(options.get("n_samples") or 0)
    limit = max(20_000 if generate else train_size, current_n)  # a larger value is kept; validation says why
    # short labels (they stay whole in presentation mode's large type), the details in help
    n_samples = a.number_input(
        "n_samples", 0, limit, current_n, step=50, key=state.key(PAGE, "n_samples"),
        help="How many training sequences to use (fewer trains faster); 0 = "
             + ("1000." if generate else f"all {train_size}."))
    n_test = b.number_input("n_test", 0, max(5_000, int(options.get("n_test") or 0)),
                            int(options.get("n_test") or 0), step=50,
                            key=state.key(PAGE, "n_test"),
                            help="How many test sequences; 0 = the default: the whole test split, or about "
                                 "n_samples / 4 when n_samples is set.")
    data_seed = c.number_input("data_seed", 0, 2**31 - 1, int(options.get("data_seed") or 0),
                               key=state.key(PAGE, "data_seed"), help="Which random subset / which generated set.")
    chosen = {}
    if generate:
        chosen = generator_options(name, options)
        if not chosen:
            chosen["generate"] = True
    if n_samples:
        chosen["n_samples"] = int(n_samples)
    if n_test:
        chosen["n_test"] = int(n_test)
    if data_seed:
        chosen["data_seed"] = int(data_seed)
    return spec.replace(dataset=name, dataset_options=chosen)


def upload_options(file_name: str, id_column, time_column, label_column, task) -> tuple:
    """The loader options for one uploaded file, from the expander's widgets (a .ts file's header says all)."""
    kind = services.upload_type(file_name)
    options = {} if kind == "ts" else {"task": None if task == "infer" else task}
    if kind == "csv":
        labels = [s.strip() for s in label_column.split(",") if s.strip()]
        options.update(id_column=id_column.strip(), time_column=time_column.strip() or None,
                       label_column=labels[0] if len(labels) == 1 else tuple(labels))
    return tuple(sorted(options.items()))


def own_data(spec):
    st.caption(
        f"Limits: {MAX_UPLOAD_MB} MB per file (server.maxUploadSize); at most 20,000 sequences, 1,000 steps, "
        "1,000 features and 50 million values. Values must be finite numbers; sequences are zero-padded at the "
        "end. Your file stays in this browser session only (it cannot travel in a link)."
    )
    uploads = st.file_uploader(
        "Your data: one file, or a TRAIN / TEST pair", accept_multiple_files=True, key="build_data_upload",
        help="CSV: one row per sequence and time step. NPZ: arrays x [N, T, D], y, optionally lengths and split "
             "(0 / 'train', 1 / 'test' per sequence). .ts: UEA / sktime. .tsv: UCR (label, then values). Two files "
             "named ..._TRAIN and ..._TEST keep their split; otherwise validation_split holds out a random part.")
    with st.expander("CSV columns and task"):
        a, b, c, d = st.columns(4)
        id_column = a.text_input("id_column", "sequence_id", key="build_csv_id",
                                 help="The column that names the sequence each row belongs to.")
        time_column = b.text_input("time_column", "t", key="build_csv_time",
                                   help="The column that orders the steps of a sequence; empty: the file's order.")
        label_column = c.text_input("label_column", "label", key="build_csv_label",
                                    help="The target column; comma-separated for several.")
        task = d.selectbox("task", ["infer", "classification", "regression", "sequence_labelling"], key="build_csv_task",
                           help="infer: from the labels (a label that changes within a sequence: sequence "
                                "labelling; class-like labels: classification; else regression). A .tsv file "
                                "is read as classification unless you choose regression; a .ts file's header "
                                "says its task.")
    parsed, failed = [], False
    for upload in uploads or []:
        problem = services.upload_problem(upload.name, upload.size, MAX_UPLOAD_MB)
        if problem:
            st.error(problem)
            failed = True
            continue
        options = upload_options(upload.name, id_column, time_column, label_column, task)
        before = len(parsed)
        with messages.guard(f"Reading {upload.name}"):  # a bad file: st.error naming it and what is wrong
            parsed.append((upload.name, services.parse_upload(upload.getvalue(), upload.name, options)))
        failed = failed or len(parsed) == before
    if parsed and not failed:
        with messages.guard("Your files"):
            key = tuple((u.file_id, upload_options(u.name, id_column, time_column, label_column, task))
                        for u in uploads)
            train, test, label = state.memo("upload_data", key, lambda: services.combine_uploads(parsed))
            token = f"{experiment.UPLOAD_PREFIX}{label}"
            state.set_uploaded_dataset(train if test is None else (train, test), token)
            spec = spec.replace(dataset=token, dataset_options={})
    if state.uploaded_dataset() is None:
        st.info("Upload a file to use your own data; until then the experiment keeps its current data.")
    else:
        if not experiment.is_upload(spec.dataset):
            spec = spec.replace(dataset=state.uploaded_token(), dataset_options={})
        data = state.uploaded_dataset()
        if isinstance(data, tuple):
            st.caption(f"Split: your data's own (its split array or TRAIN / TEST files), {data[0].n_samples} "
                       f"training and {data[1].n_samples} test sequences.")
        else:
            st.caption(f"Split: at random, validation_split = {spec.validation_split} of the {data.n_samples} "
                       "sequences held out for testing (set it on the Train page).")
    return spec


def preview(train) -> None:
    from rnnlab import plots

    rows = min(services.PREVIEW_ROWS, train.n_samples)
    x = train.x[:rows]
    classes = f", {train.n_classes} classes" if train.n_classes else ""
    st.markdown(
        f"**{train.n_samples} training sequences**, x [N, T, D] = [{train.n_samples}, {train.time_steps}, "
        f"{train.n_features}], task *{train.task}*{classes}; features: {', '.join(train.feature_names[:12])}"
        f"{' ...' if len(train.feature_names) > 12 else ''}."
    )
    for warning in train.warnings:  # every one: the loaders already sum up past ten sequences in one line
        st.warning(warning)
    readings = services.preview_lengths(x, train.lengths[:rows])
    # the true real steps colour the grid too: a real step of the file that is all zero (even its first) is
    # drawn as an all-zero step inside the sequence, not as padding; the hover names each row's sequence id
    fig = plots.padding_grid(x, readings, real_steps=readings["true real steps"],
                             sample_names=train.sequence_ids[:rows],
                             title=f"The first {rows} sequences: real steps, zeros and padding")
    figures.figure(fig, key="build_padding_grid")


def shapes(spec, train) -> None:
    from rnnlab.experiments import build_model

    def build():
        model = build_model(spec, dataset=train, time_steps=train.time_steps, compile=False)
        rows = []
        for layer in model.layers:
            output = getattr(layer, "output", None)
            shape = tuple(getattr(output, "shape", ()) or ())
            text = "[" + ", ".join("B" if d is None else str(d) for d in shape) + "]"
            rows.append({"layer": layer.name, "type": type(layer).__name__, "output shape": text,
                         "parameters": int(layer.count_params()) if layer.built else 0})
        return rows

    rows = state.memo("build_shapes", (spec.to_json(), train.name, train.n_features, train.time_steps), build)
    # return_state: what each call also returns in the code below (the model itself keeps the output only)
    from rnnlab.experiments.codegen import state_names, state_outputs

    returned = [", ".join(f"{name} {shapes}" for name, (_, shapes) in zip(names, state_outputs(layer)))
                for layer, names in zip(spec.layers, state_names(spec))]
    if any(returned) and len(rows) == len(spec.layers) + 2:  # InputData, the recurrent layers, the head
        rows = [dict(row, **{"return_state also returns": extra})
                for row, extra in zip(rows, ["", *returned, ""])]
    st.markdown(" → ".join(f"`{r['layer']}` {r['output shape']}"
                           + (f" (+ {r['return_state also returns']})" if r.get("return_state also returns") else "")
                           for r in rows))
    st.dataframe(rows, hide_index=True, key="build_shapes_table")
    if any(returned):
        st.caption("return_state: the call also returns the layer's final state, as the code below unpacks it "
                   "(`net, state = rnnlab.lstm(..., return_state=True)`), ready for a decoder's initial_state. "
                   "This model feeds only the output on, to the next layer and the head, so it trains the same.")


def spec_json(spec) -> None:
    from rnnlab.experiments import ExperimentSpec

    left, right = st.columns(2)
    left.download_button("Download spec JSON", spec.to_json(), file_name=f"rnnlab-spec-{spec.short_hash()}.json",
                         mime="application/json", key="build_spec_download", icon=":material/download:")
    upload = right.file_uploader("Load a spec JSON", type=["json"], key="build_spec_upload")
    if upload is None:
        return

    def read():
        try:
            return ExperimentSpec.from_json(upload.getvalue().decode("utf-8", errors="replace")), None
        except Exception as error:  # noqa: BLE001 - shown below
            return None, errors.error_message(f"{upload.name} is not a usable spec", error)

    loaded, problem = state.memo("spec_upload", upload.file_id, read)
    if problem:
        st.error(problem)
    elif state.first_time(upload.file_id):
        state.set_spec(loaded, reset_widgets=True)
        state.set_lesson(None)
        state.flash("success", f"Loaded {upload.name}: {loaded.describe()}.")
        st.rerun()


def bring_your_model(spec, train) -> None:
    """A .keras file, or TFLearn checkpoint files for the stack above -> checked against the data -> "Open as a run"
    (app/session/imported_model.py): the inspection pages open it, nothing is trained."""
    # what the shape checks and the stack depend on (T, D, task, classes, outputs), not the data's name
    data_key = (train.time_steps, train.n_features, train.task, train.n_classes, tuple(train.y.shape[1:]))
    keras_tab, checkpoint_tab = st.tabs(["A .keras file", "TFLearn checkpoint files"])
    with keras_tab:
        upload = model_import.keras_uploader(imports.MAX_MODEL_MB)
        if upload is not None:
            problem = imports.keras_file_problem(upload.name, upload.size)  # before anything is read
            offer_import(spec, *((None, problem) if problem else imports.remembered(
                "keras", (upload.file_id, data_key),
                lambda: imports.keras_import(upload.getvalue(), upload.name, train))))
    with checkpoint_tab:
        uploads = model_import.checkpoint_uploader(imports.MAX_CHECKPOINT_MB)
        if uploads:
            problem = imports.checkpoint_files_problem({u.name: u.size for u in uploads})
            offer_import(spec, *((None, problem) if problem else imports.remembered(
                "tflearn", (tuple(u.file_id for u in uploads), spec.to_json(), data_key),
                lambda: imports.tflearn_import(spec, train, {u.name: u.getvalue() for u in uploads}))))


def offer_import(spec, imported, problem) -> None:
    """An imported model (or the problem reading it) -> what it is, and the "Open as a run" button."""
    if problem:
        st.error(problem)
        return
    model_import.show_imported(imported, imported.layers(),
                               imports.report_rows(imported.report) if imported.report is not None else [])
    if model_import.open_button(imported):
        run = imports.open_as_run(imported, spec, experiment.experiment_data(spec))
        state.flash("success", f"Opened {imported.source} as run {run.label}: the States, Gates, Gradients, "
                               "Cell steps and Padding lab pages now show it (nothing was trained).")
        st.rerun()


spec = state.spec()
new_spec = spec
train = None

with messages.guard("Data"):
    st.header("1. Data", divider="gray")
    own = experiment.is_upload(spec.dataset)
    source = st.radio("Source", ["Sample data", "Your own file (CSV / NPZ)"], index=int(own), horizontal=True,
                      key=state.key(PAGE, "source"), label_visibility="collapsed",
                      captions=["", "also UEA .ts, UCR .tsv and TRAIN / TEST pairs"])
    new_spec = sample_data(spec) if source == "Sample data" else own_data(spec)
    if new_spec != spec:
        state.set_spec(new_spec)
    train, _ = experiment.experiment_data(new_spec)
    preview(train)

with messages.guard("Layers"):
    st.header("2. Layers", divider="gray")
    task = None
    if train is not None:
        try:
            task = new_spec.task(train)
        except Exception:  # noqa: BLE001 - the validation below says what is wrong
            task = None
    layers = layer_editor.edit_layers(new_spec, task)
    if layers != new_spec.layers:
        new_spec = new_spec.replace(layers=layers)
        state.set_spec(new_spec)

with messages.guard("This stack cannot be built"):
    st.header("3. Shapes", divider="gray")
    if train is None:
        st.info("Choose data that loads to see the shapes.")
    else:
        new_spec.validate(dataset_info=train)
        shapes(new_spec, train)
        st.caption("B = batch (any size). The head (FullyConnected) follows the task of the data.")

with messages.guard("Bring your model"):
    with st.expander("Bring your model: a .keras file or a TFLearn checkpoint, opened as a run without training"):
        if train is None:
            st.info("Choose data that loads first: an imported model is checked against it and inspected on it.")
        else:
            bring_your_model(new_spec, train)

with messages.guard("Code"):
    st.header("4. The same experiment in rnnlab code", divider="gray")
    st.code(new_spec.python_code(), language="python")

with messages.guard("Spec JSON"):
    st.header("5. Spec JSON", divider="gray")
    spec_json(new_spec)
