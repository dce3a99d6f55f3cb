"""Command line: ``astrodisc <verb>`` / ``python -m astrodisc <verb>``.

Every verb is a thin wrapper over a function the app and the tests call too. Bad input ends with exit
code 2 and one line naming the problem, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from astrodisc.errors import UserError
from astrodisc.paths import PROJECT_ROOT, data_dir

WARM_UP_WAIT_S = 300.0  # longest wait for a fresh server's health check before warming it [s]
STOP_WAIT_S = 30.0  # longest wait for the server to stop when a demo build is stopped [s]
SIM_STAMP_PX = 64  # simulated galaxy cutouts' default side [px]: data.sim.galaxies.STAMP_PX, not imported (~3 s)
MAX_SIM_STAMP_PX = 256  # 20,000 float32 cutouts of 3 x 256 x 256 take 15.7 GB
FORCE_HELP = (
    "replace a dataset already at --out, and all it holds (e.g. artifact sets built into it); the old one "
    "stays until the new one is complete, and is swapped for it in one step"
)


def _existing_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise UserError(f"no such directory: {path}")
    return path


def cmd_simulate(args: argparse.Namespace) -> None:
    """Simulate a survey into --out, whole or not at all; a dataset already there is replaced only with --force."""
    from astrodisc.base.staging import staged_dataset

    if args.n < 10:
        raise UserError("--n must be at least 10")
    if not SIM_STAMP_PX <= args.stamp_px <= MAX_SIM_STAMP_PX:
        raise UserError(f"--stamp-px must be {SIM_STAMP_PX}-{MAX_SIM_STAMP_PX} (the encoders read {SIM_STAMP_PX})")
    with staged_dataset(args.out, args.force) as work:
        what = _simulate_into(args, work)
    print(f"wrote {what} to {args.out}")


def _simulate_into(args: argparse.Namespace, out: Path) -> str:
    """Simulate the survey ``args`` ask for into the folder ``out``; returns what it holds, in words."""
    if args.kind == "galaxies":
        from astrodisc.data.sim.galaxies import GalaxySimConfig, simulate_galaxies

        config = GalaxySimConfig(n=args.n, seed=args.seed, stamp_px=args.stamp_px)
        simulate_galaxies(config, out, progress=not args.quiet)
        return f"{args.n} simulated galaxies"
    if args.kind == "viewer":
        from astrodisc.data.sim.viewer import ViewerConfig, render_viewer_sky, write_viewer_files

        if args.sky is None:
            raise UserError("viewer needs --sky FOLDER: the simulated galaxy sky to draw as viewer pictures")
        sky = _existing_dir(str(args.sky))
        if args.files:
            write_viewer_files(sky, out, ViewerConfig(seed=args.seed), limit=args.n, progress=not args.quiet)
            return f"{args.n} viewer picture files and their catalogue.csv, of the simulated galaxies of {sky.name}"
        render_viewer_sky(sky, out, ViewerConfig(seed=args.seed), progress=not args.quiet)
        return f"viewer pictures of the simulated galaxies of {sky.name}"
    if args.kind == "embeddings":
        from astrodisc.data.sim.embeddings import SyntheticConfig, write_synthetic

        write_synthetic(SyntheticConfig(n=args.n, seed=args.seed), out, progress=not args.quiet)
        return f"{args.n} synthetic embeddings and their catalogue"
    from astrodisc.data.sim.varstars import VarStarSimConfig, simulate_varstars

    simulate_varstars(VarStarSimConfig(n=args.n, seed=args.seed), out, progress=not args.quiet)
    return f"{args.n} simulated variable stars"


def _names(text: str) -> tuple[str, ...]:
    """Comma-separated names (columns, bands, modalities), stripped, empty ones dropped."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _print_import_summary(out: Path) -> None:
    """The galaxy importers' one line of what was done, and any warning that the pictures lie far from what the
    shipped encoders learned."""
    from astrodisc.data.galaxies import GalaxyStore

    extra = GalaxyStore(out).info.extra
    print(extra["import_summary"])
    for note in extra.get("domain_warnings", []):
        print(f"warning: {note}", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> None:
    if args.survey == "catalog":
        from astrodisc.data.io.catalogs import import_catalog

        if args.table is None:
            raise UserError("catalog needs --table FILE (CSV, Parquet, VOTable or FITS table with ra/dec)")
        out, notes = import_catalog(
            args.table,
            args.out,
            id_column=args.id_column,
            class_column=args.class_column,
            ra_column=args.ra_column,
            dec_column=args.dec_column,
            columns=_names(args.columns) if args.columns else None,
            exclude_columns=_names(args.exclude_columns) if args.exclude_columns else (),
            force=args.force,
        )
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    elif args.survey == "galaxy-folder":
        from astrodisc.data.io.galaxies import import_cutout_folder

        if args.source is None or args.catalogue is None:
            raise UserError("galaxy-folder needs --source FOLDER and --catalogue CSV (file_loc, ra, dec, ...)")
        out = import_cutout_folder(
            args.source,
            args.catalogue,
            args.out,
            stamp_px=args.stamp_px,
            bands=_names(args.bands) if args.bands else None,
            progress=not args.quiet,
            force=args.force,
            pixel_scale=args.pixel_scale,
            survey=args.viewer,
            field=args.field,
        )
        _print_import_summary(out)
    elif args.survey == "galaxy10":
        from astrodisc.data.io.galaxies import import_galaxy10_decals

        if args.source is None:
            raise UserError("galaxy10 needs --source Galaxy10_DECals.h5")
        out = import_galaxy10_decals(args.source, args.out, progress=not args.quiet, force=args.force)
        _print_import_summary(out)
    elif args.survey == "astrom3":
        from astrodisc.data.io.astrom3 import AstroM3Selection, import_astrom3

        if args.source is None:
            raise UserError("astrom3 needs --source DIR (a local copy of the raw or processed release)")
        out = import_astrom3(
            _existing_dir(str(args.source)),
            args.out,
            AstroM3Selection(args.subset, args.seed),
            progress=not args.quiet,
            force=args.force,
        )
    else:
        from astrodisc.data.io.varstars import import_survey

        out = import_survey(args.survey, args.out, args.source, force=args.force)
    print(f"imported {args.survey} into {out}")


def cmd_fetch(args: argparse.Namespace) -> None:
    from astrodisc.base.fetch import fetch

    paths = fetch(args.dataset, args.to, verify=not args.no_verify, progress=not args.quiet)
    print(f"fetched {args.dataset}: {len(paths)} file{'s' if len(paths) != 1 else ''} in {args.to}")


def cmd_train(args: argparse.Namespace) -> None:
    from astrodisc.data.store import read_info
    from astrodisc.learn.fit import TrainConfig
    from astrodisc.learn.model_card import write_model_card

    kind = read_info(_existing_dir(args.dataset)).kind
    objective = args.objective or {"varstars": "clip", "galaxies": "simclr", "catalog": "scarf"}[kind]
    if objective not in {"varstars": ("clip",), "galaxies": ("simclr", "moco", "barlow"), "catalog": ("scarf",)}[kind]:
        raise UserError(
            f"objective {objective} does not fit a {kind} dataset: variable stars take clip, "
            "galaxies simclr, moco or barlow, catalogues scarf"
        )
    if args.representation != "auto" and kind != "catalog":
        raise UserError(f"--representation is for catalogues; {args.dataset} holds {kind}")
    if args.pair_with and kind != "galaxies":
        raise UserError(f"--pair-with is for galaxy images; {args.dataset} holds {kind}")
    if args.bf16 and kind != "galaxies":
        raise UserError(f"--bf16 is for galaxy images; {args.dataset} holds {kind}")
    config = TrainConfig(epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, patience=args.patience)
    if kind == "catalog":
        from astrodisc.learn.catalogs import CatalogPretrainConfig, pretrain_catalogs

        forced = None if args.representation == "auto" else args.representation
        state = pretrain_catalogs(
            args.dataset, args.out, CatalogPretrainConfig(), config, progress=not args.quiet, forced=forced
        )
    elif kind == "galaxies":
        from astrodisc.learn.galaxies import GalaxyPretrainConfig, pretrain_galaxies

        paired_with = tuple(_existing_dir(d) for d in args.pair_with)
        state = pretrain_galaxies(
            args.dataset,
            args.out,
            GalaxyPretrainConfig(objective=objective, bf16=args.bf16),
            config,
            not args.quiet,
            paired_with,
        )
    else:
        from astrodisc.learn.varstars import pretrain_varstars

        state = pretrain_varstars(args.dataset, args.out, config, progress=not args.quiet)
    write_model_card(
        args.out,
        f"astrodisc train --dataset {args.dataset} --out {args.out} --objective {objective} "
        f"--epochs {args.epochs} --seed {args.seed} --batch-size {args.batch_size} "
        f"--patience {args.patience}"
        + (f" --representation {args.representation}" if kind == "catalog" else "")
        + "".join(f" --pair-with {d}" for d in args.pair_with)
        + (" --bf16" if args.bf16 else ""),
    )
    print(f"trained {state['epoch']} epochs (best {state['best_epoch']}, val loss {-state['best']:.4f}) -> {args.out}")
    if "representation" in state:
        print(f"the map and search will read {state['representation'].reason}")


def cmd_train_arcs(args: argparse.Namespace) -> None:
    from astrodisc.data.galaxies import GalaxyStore
    from astrodisc.data.store import read_info
    from astrodisc.learn.arc_finder import ArcFinderConfig, train_arc_finder
    from astrodisc.learn.model_card import write_model_card
    from astrodisc.learn.model_folder import read_model_config

    if read_info(_existing_dir(args.dataset)).kind != "galaxies":
        raise UserError(f"the arc finder trains on galaxy cutouts; {args.dataset} holds another kind")
    read_model_config(_existing_dir(args.model), "galaxies")
    config = ArcFinderConfig(seed=args.seed, **({} if args.steps is None else {"steps": args.steps}))
    command = (
        f"astrodisc train-arcs --dataset {args.dataset} --model {args.model} --steps {config.steps} --seed {args.seed}"
    )
    training = train_arc_finder(GalaxyStore(Path(args.dataset)), args.model, config, command, progress=not args.quiet)
    write_model_card(args.model, _card_command(args.model))
    print(
        f"trained the arc finder in {training.seconds / 60:.1f} min ({training.steps} steps, loss "
        f"{training.loss_first:.3f} -> {training.loss_last:.3f}) -> {Path(args.model) / 'arcs'}"
    )


def _card_command(model_dir: Path) -> str:
    """The "made by" command a model card already names (kept when the card is written again)."""
    card = Path(model_dir) / "MODEL_CARD.md"
    for line in card.read_text().splitlines() if card.is_file() else []:
        if line.startswith("- made by: `"):
            return line.removeprefix("- made by: `").rstrip("`")
    return "unknown"


def cmd_build(args: argparse.Namespace) -> None:
    from astrodisc.chain.build import build_artifacts

    if args.model is not None and args.embeddings is not None:
        raise UserError("give either --model FOLDER (an encoder) or --embeddings FOLDER (precomputed <space>.npy)")
    embed = None
    if args.embeddings is not None:
        from astrodisc.data.io.precomputed import load_precomputed
        from astrodisc.data.open_store import open_store

        # checked before the build makes its staging folder and lock: refused files leave nothing behind
        load_precomputed(open_store(_existing_dir(args.dataset)), _existing_dir(args.embeddings))
        embed = load_precomputed
    else:
        from astrodisc.data.open_store import open_store
        from astrodisc.learn.embed import check_model, model_for

        store = open_store(_existing_dir(args.dataset))
        model, note = model_for(store, _existing_dir(args.model) if args.model else None)
        if note:
            print(note, file=sys.stderr)
        args.model = str(model)
        check_model(store, model)  # before staging and lock
    from astrodisc.base.distributed import open_runner

    with open_runner(args.scheduler, args.workers) as runner:
        out = build_artifacts(
            _existing_dir(args.dataset),
            _existing_dir(args.model or args.embeddings),
            args.out,
            embed=embed,
            seed=args.seed,
            progress=not args.quiet,
            runner=runner,
        )
    print(f"artifacts ready in {out}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from astrodisc.eval.evaluate import EvaluateOptions, evaluate_artifacts

    artifacts = _existing_dir(args.artifacts)
    options = EvaluateOptions(args.fast, args.seeds, args.frozen, _names(args.modalities))
    result = evaluate_artifacts(artifacts, options, progress=not args.quiet)
    from astrodisc.eval.summary import save_evaluation

    saved = save_evaluation(artifacts, result)  # the Model page shows the artifact set's own evaluation.json
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text)
    if args.json or not args.out:
        print(text)
    print(f"evaluation written to {saved}", file=sys.stderr)


# The built-in demos: kind -> (dataset folder under data_dir(), shipped model folder under models/).
DEMOS: dict[str, tuple[str, str]] = {
    "varstars": ("varstars-demo", "varstars-clip"),
    "galaxies": ("galaxies-demo", "galaxies-moco"),
}


def cmd_demo(args: argparse.Namespace) -> None:
    """Make each demo survey (seed 42) and its artifacts with the shipped encoder, whichever is missing; with
    ``--serve``, serve the app at once and build behind it, quick 5,000-object demos first
    (:mod:`astrodisc.chain.demo`)."""
    from astrodisc.chain.build import build_artifacts

    if args.serve:
        _serve_while_building(args)
        return
    kinds = list(DEMOS) if args.kind == "all" else [args.kind]
    if len(kinds) > 1 and (args.data or args.model):
        raise UserError("--data and --model name one demo: give a kind too, e.g. `astrodisc demo varstars --data DIR`")
    for kind in kinds:
        dataset = Path(args.data) if args.data else data_dir() / DEMOS[kind][0]
        model = _existing_dir(args.model or str(PROJECT_ROOT / "models" / DEMOS[kind][1]))
        if not (dataset / "dataset.json").is_file():
            cmd_simulate(_demo_survey(kind, args.n, dataset, args.quiet))
        build_artifacts(dataset, model, dataset / model.name, progress=not args.quiet)
        print(f"demo ready: {dataset / model.name}")


def _demo_survey(kind: str, n: int, out: Path, quiet: bool) -> argparse.Namespace:
    """The ``simulate`` arguments of a demo survey: the demo seed, the default stamps."""
    from astrodisc.chain.demo import SEED

    return argparse.Namespace(kind=kind, n=n, seed=SEED, stamp_px=SIM_STAMP_PX, out=out, quiet=quiet, force=False)


def _serve_while_building(args: argparse.Namespace) -> None:
    """``demo --serve``: the server starts first; the missing demos are built in the plan's order behind it,
    their progress in ``<data>/demo-progress.json`` for the app to show; then the server runs until it stops."""
    from astrodisc.chain.build import build_artifacts
    from astrodisc.chain.demo import DemoStep, build_demos, steps_to_build

    if args.kind != "all" or args.data or args.model:
        raise UserError("--serve builds and serves every demo under the data root: give no kind, --data or --model")
    root = data_dir()
    server = _start_server(args.port, args.public, root, warm_up=True)
    missing = steps_to_build(root)
    if missing:
        print(f"building {len(missing)} demo(s) behind the app: {', '.join(s.dataset for s in missing)}", flush=True)

        def simulate(step: DemoStep, dataset_dir: Path) -> None:
            cmd_simulate(_demo_survey(step.kind, step.n, dataset_dir, quiet=True))

        def build(step: DemoStep, dataset_dir: Path) -> None:
            build_artifacts(dataset_dir, PROJECT_ROOT / "models" / step.model, dataset_dir / step.model, progress=False)
            print(f"demo ready: {dataset_dir / step.model}", flush=True)

        def stop_building(*_: object) -> None:
            """A SIGTERM or Ctrl-C mid-build: the server stops, then this process at once. Not a normal exit,
            which would wait for the build's worker threads to finish their tasks (a minute or more); a build is
            safe to kill anywhere (astrodisc.chain.build: a kernel lock, atomic publishing)."""
            server.terminate()
            try:
                server.wait(timeout=STOP_WAIT_S)
            finally:
                print("stopped; the next `make demo` builds what is missing", flush=True)
                os._exit(0)

        serving_handler = signal.signal(signal.SIGTERM, stop_building)
        try:
            progress = build_demos(root, missing, simulate, build)
        except KeyboardInterrupt:
            stop_building()
        signal.signal(signal.SIGTERM, serving_handler)
        for failed in (s for s in progress.steps if s.error):
            print(f"demo {failed.step.dataset} failed: {failed.error}", flush=True)
    _wait_for(server)


def cmd_bench(args: argparse.Namespace) -> None:
    from astrodisc.ops.bench_scale import bench

    bench(args)


def cmd_hunt(args: argparse.Namespace) -> None:
    """The simulated anomaly hunt of an artifact set (the ``active_learning`` entry of ``evaluate --json``)."""
    from astrodisc.eval.hunt import hunt_section

    _print_json(hunt_section(_existing_dir(args.artifacts)), args.out)


def cmd_calibrate(args: argparse.Namespace) -> None:
    """How hard a simulated sky is, before any encoder is trained on it (``astrodisc.eval.galaxy_calibration``)."""
    from astrodisc.eval.galaxy_calibration import calibrate

    _print_json(calibrate(_existing_dir(args.dataset), args.epochs, progress=not args.quiet), args.out)


def cmd_report(args: argparse.Namespace) -> None:
    from astrodisc.eval.markdown import print_report

    print_report(args.results)


def cmd_load(args: argparse.Namespace) -> None:
    """Concurrent sessions against a served app (``astrodisc.ops.load_test``), their figures as JSON."""
    from astrodisc.ops.load_test import LoadConfig, run_load

    try:
        think_min, think_max = (float(v) for v in args.think.split(","))
    except ValueError:
        raise UserError(f"--think takes min,max [s], got {args.think!r}") from None
    config = LoadConfig(
        args.sessions,
        args.minutes,
        args.max_interactions,
        think_s=(think_min, think_max),
        public=args.public,
        seed=args.seed,
    )
    result = run_load(args.data or data_dir(), config, args.dataset, args.model)
    _print_json(result, args.out)
    print(f"{result['interactions']} interactions, {result['errors']} errors", file=sys.stderr)


def cmd_screenshots(args: argparse.Namespace) -> None:
    from astrodisc.ops.screenshots import make_screenshots

    make_screenshots()


def _print_json(result: dict, out: Path | None) -> None:
    """``result`` as indented JSON on standard output, and written to ``out`` if given."""
    print(json.dumps(result, indent=2))
    if out is not None:
        from astrodisc.base.atomic import save_json

        save_json(out, result)


def cmd_labels(args: argparse.Namespace) -> None:
    """Back up the label database to ``args.file``, or restore it from there."""
    from astrodisc.labels import backup as label_backup
    from astrodisc.paths import labels_path

    database = args.db or labels_path()
    if args.action == "backup":
        rows = label_backup.backup(database, args.file, force=args.force)
        print(f"backed up {rows:,} label rows of {database} to {args.file}")
    else:
        rows, kept = label_backup.restore(args.file, database)
        print(
            f"restored {rows:,} label rows from {args.file} into {database}"
            + (f"; the replaced database is kept as {kept}" if kept else "")
        )


def serve_command(port: int, public: bool) -> list[str]:
    """The ``streamlit run`` command line of ``astrodisc serve``; a public server adds its hardening flags."""
    from astrodisc.app import public_mode

    command = [
        sys.executable,
        "-m",
        "astrodisc.app.server",
        "run",
        str(PROJECT_ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    return command + (public_mode.streamlit_flags(public_mode.settings()) if public else [])


def cmd_serve(args: argparse.Namespace) -> None:
    """Run the server until it stops (a SIGTERM, as ``docker stop`` sends, is passed on to it); unless
    ``--no-warm-up``, a thread opens its default page once it is up (:mod:`astrodisc.app.warm_up`)."""
    _wait_for(_start_server(args.port, args.public, args.data, warm_up=not args.no_warm_up))


def _start_server(port: int, public: bool, data: Path, warm_up: bool) -> subprocess.Popen:
    """The app's server on ``port`` over the data root ``data``, started in the background (a SIGTERM to this
    process stops it, and raises KeyboardInterrupt here); with ``warm_up``, a thread opens its default page once it
    is up."""
    from astrodisc.app import public_mode

    public = public or public_mode.enabled()  # --public, or ASTRODISC_PUBLIC already set (the container)
    env = {**os.environ, "ASTRODISC_DATA": str(data)} | ({public_mode.PUBLIC_ENV: "1"} if public else {})
    print(f"astrodisc on http://localhost:{port}" + (" (public demo)" if public else ""), flush=True)
    server = subprocess.Popen(serve_command(port, public), env=env, cwd=PROJECT_ROOT)

    def stop(*_: object) -> None:
        """A SIGTERM stops the server, and this process as Ctrl-C would, whatever it is doing (serving, or
        building demos behind the server: every artifact is written atomically, so a stopped build leaves no
        half-written file)."""
        server.terminate()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if warm_up:
        threading.Thread(target=_warm_up, args=(f"http://127.0.0.1:{port}", server, data), daemon=True).start()
    return server


def _wait_for(server: subprocess.Popen) -> None:
    """Wait until the server stops (Ctrl-C or a SIGTERM stops it too) and exit with its code; 0 when it was
    stopped on purpose and ended as asked (its own exit, or the signal's)."""
    try:
        code = server.wait()
    except KeyboardInterrupt:  # Ctrl-C in a terminal reaches the server too; a SIGINT to this process alone not
        server.terminate()
        code = server.wait()
        raise SystemExit(0 if code in (0, -signal.SIGTERM, -signal.SIGINT) else code) from None
    raise SystemExit(code)


def _warm_up(url: str, server: subprocess.Popen, data: Path) -> None:
    """Open the server's pages once it is healthy (the default page, then every page of each artifact set under
    ``data``); a failure is reported and the server goes on."""
    from astrodisc.app.state import find_artifact_sets
    from astrodisc.app.warm_up import wait_healthy, warm_up

    try:
        wait_healthy(url, server, WARM_UP_WAIT_S)
        sets = [(s.dataset, s.model) for s in find_artifact_sets(data)]
        print(f"warmed up: the first page ran in {warm_up(url, sets):.1f} s", flush=True)
    except Exception as err:  # noqa: BLE001 - whatever went wrong, the server it warms goes on serving
        print(f"warm-up failed, the app still serves: {type(err).__name__}: {err}", flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="astrodisc", description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="verb", required=True)

    def verb(name: str, func, help_text: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--quiet", action="store_true", help="no progress bars")
        sub.set_defaults(func=func)
        return sub

    s = verb("simulate", cmd_simulate, "simulate a survey with hidden ground truth")
    s.add_argument(
        "kind",
        choices=["varstars", "galaxies", "viewer", "embeddings"],
        help="kind of survey (viewer: --sky drawn as survey viewers' colour pictures; embeddings: a catalogue with "
        "ready synthetic embeddings, for scale tests)",
    )
    s.add_argument("--sky", type=Path, default=None, help="viewer: the simulated galaxy sky to draw")
    s.add_argument(
        "--files",
        action="store_true",
        help="viewer: write the first --n galaxies as picture files and a catalogue.csv (for import galaxy-folder)",
    )
    s.add_argument("--n", type=int, default=20_000, help="number of objects (default 20000)")
    s.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    s.add_argument(
        "--stamp-px",
        type=int,
        default=SIM_STAMP_PX,
        help="galaxies: cutout side [px] at 0.262 arcsec (default 64; the viewer pictures are drawn from 128, so "
        "large galaxies are not cut at the stamp's edge)",
    )
    s.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    s.add_argument("--force", action="store_true", help=FORCE_HELP)

    s = verb("import", cmd_import, "import a real survey sample into the dataset store")
    s.add_argument(
        "survey", choices=["stripe82", "catalina", "macho", "linear", "galaxy-folder", "galaxy10", "astrom3", "catalog"]
    )
    s.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    s.add_argument("--force", action="store_true", help=FORCE_HELP)
    s.add_argument(
        "--source",
        type=Path,
        default=None,
        help="folder of the survey files (default: shared/real); the cutout folder or the Galaxy10 .h5 file",
    )
    s.add_argument(
        "--catalogue",
        type=Path,
        default=None,
        help="galaxy-folder: CSV with file_loc, ra, dec [, label, redshift, object_id]",
    )
    s.add_argument(
        "--table",
        type=Path,
        default=None,
        help="catalog: the table (CSV, Parquet, VOTable or FITS) whose numeric columns become the metadata modality",
    )
    s.add_argument(
        "--id-column",
        default=None,
        help="catalog: object id column (default: object_id/id/source_id, else row numbers)",
    )
    s.add_argument("--class-column", default=None, help="catalog: class column (default: label or class if present)")
    s.add_argument(
        "--columns", default=None, help="catalog: the feature columns, comma-separated (default: all numeric)"
    )
    s.add_argument("--exclude-columns", default=None, help="catalog: numeric columns to leave out, comma-separated")
    s.add_argument("--ra-column", default=None, help="catalog: right ascension [deg] (default: ra, raj2000, ...)")
    s.add_argument("--dec-column", default=None, help="catalog: declination [deg] (default: dec, dej2000, ...)")
    s.add_argument(
        "--pixel-scale",
        type=float,
        default=None,
        help="galaxy-folder: arcsec per pixel of the pictures (default: the FITS WCS, else --viewer's, else unknown)",
    )
    s.add_argument(
        "--viewer",
        choices=["legacy", "sdss", "hsc"],
        default=None,
        help="galaxy-folder: the survey viewer the pictures came from (its pixel scale, and bands g/r/z or g/r/i)",
    )
    s.add_argument("--bands", default=None, help="galaxy-folder: the pictures' bands, blue to red, e.g. g,r,i")
    s.add_argument(
        "--field",
        choices=["angular", "extent", "picture"],
        default=None,
        help="galaxy-folder: the stamp frames the encoder's field (default for FITS of known scale), each galaxy's "
        "extent (default otherwise) or the whole picture",
    )
    s.add_argument("--stamp-px", type=int, default=64, help="galaxy-folder: stamp side [px] (default 64)")
    s.add_argument("--subset", default="full", help="astrom3: label subset full, sub50, sub25 or sub10 (default full)")
    s.add_argument(
        "--seed",
        type=int,
        default=42,
        help="astrom3: split seed 42, 0, 66, 12 or 123 (default 42); "
        "pre-train and fine-tune on the same seed, or test stars leak",
    )

    s = verb(
        "fetch",
        cmd_fetch,
        "download a registered public dataset (resumable, checksummed); the only command that uses the network",
    )
    s.add_argument("dataset", help="registered dataset, e.g. stripe82 (an unknown name lists them)")
    s.add_argument("--to", type=Path, required=True, help="folder to download into")
    s.add_argument("--no-verify", action="store_true", help="accept files whose checksum astrodisc does not know")

    s = verb(
        "train",
        cmd_train,
        "pretrain encoders on a dataset (trimodal CLIP for variable stars, "
        "SimCLR / MoCo v2 / Barlow Twins for galaxy images, SCARF for catalogues)",
    )
    s.add_argument("--dataset", required=True, help="dataset folder")
    s.add_argument("--out", type=Path, required=True, help="model folder to write")
    s.add_argument(
        "--objective",
        choices=["clip", "simclr", "moco", "barlow", "scarf"],
        default=None,
        help="default: clip for variable stars, simclr for galaxies, scarf for catalogues",
    )
    s.add_argument("--epochs", type=int, default=40)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--batch-size", type=int, default=256)
    s.add_argument("--patience", type=int, default=5, help="early-stopping patience in epochs")
    s.add_argument(
        "--representation",
        choices=["auto", "columns", "encoder"],
        default="auto",
        help="catalogues: what the map and search read; auto: the encoder only where the catalogue's labels show it "
        "better than the scaled columns (10-NN, 5-fold), else the columns",
    )
    s.add_argument(
        "--pair-with",
        action="append",
        default=[],
        metavar="DATASET",
        help="galaxies: another dataset of the same objects in the same order (the sky drawn again, or cut from "
        "another survey); each positive pair takes its two views from two different ones (repeatable)",
    )
    s.add_argument(
        "--bf16",
        action="store_true",
        help="galaxies: training steps run the network's backbone in bfloat16 (an epoch about 1.4x faster on a CPU "
        "with AVX-512 BF16, slower on some others); validation, the weights written and every embedding stay float32",
    )

    s = verb(
        "train-arcs",
        cmd_train_arcs,
        "train a galaxy model's arc finder: full-resolution cutouts told from themselves with lensed arcs pasted in "
        "(no label used); builds then add the arcs space and arc_probability",
    )
    s.add_argument("--dataset", required=True, help="galaxy dataset folder (3-band flux cutouts with PSF and sky)")
    s.add_argument("--model", type=Path, required=True, help="galaxy model folder to add the finder to (arcs/)")
    s.add_argument("--steps", type=int, default=None, help="training steps of 256 cutouts (default: the finder's)")
    s.add_argument("--seed", type=int, default=0)

    s = verb("build", cmd_build, "embed a dataset and precompute index, map, clusters and scores")
    s.add_argument("--dataset", required=True, help="dataset folder")
    s.add_argument(
        "--model",
        default=None,
        help="model folder (default: the shipped model that reads the dataset's kind and pixels)",
    )
    s.add_argument(
        "--embeddings",
        default=None,
        help="instead of --model: folder of precomputed <space>.npy "
        "(N, D), row i = object i (e.g. from `astrodisc simulate embeddings`)",
    )
    s.add_argument("--out", type=Path, required=True, help="artifact folder to write")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--scheduler",
        default=None,
        help="run the per-object stages on the Dask cluster of this "
        "scheduler (e.g. tcp://host:8786; dataset, model and --out on a filesystem its workers share)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=None,
        help="run the per-object stages on a local Dask cluster of this many processes",
    )

    s = verb(
        "evaluate",
        cmd_evaluate,
        "evaluate a built artifact set against held-out labels and hidden truth "
        "(the result also goes to <artifacts>/evaluation.json, which the app shows)",
    )
    s.add_argument("--artifacts", required=True, help="artifact folder (from build)")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    s.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    s.add_argument("--fast", action="store_true", help="fewer epochs and fractions (for tests)")
    s.add_argument("--seeds", type=int, default=3, help="number of split seeds (default 3)")
    s.add_argument(
        "--frozen",
        "--quick",
        dest="frozen",
        action="store_true",
        help="only what reads the frozen embedding, no network trained (linear probes at every label fraction, "
        "k-NN, similarity, anomaly, mislabel, subclasses, the hunt, map faithfulness): about 2 minutes for "
        "20,000 objects on 2 cores, to compare encoders; a catalogue's evaluation trains no network anyway",
    )
    s.add_argument(
        "--modalities",
        default="photometry,spectra,metadata,all",
        help="variable stars: rows of the classification grid (default: all four)",
    )

    s = verb("demo", cmd_demo, "make the demo surveys and their artifacts with the shipped encoders when missing")
    s.add_argument("kind", nargs="?", choices=["all", *DEMOS], default="all", help="which demo (default: all)")
    s.add_argument("--data", type=Path, default=None, help="dataset folder (default: data/<kind>-demo)")
    s.add_argument("--model", default=None, help="model folder (default: the shipped models/<kind>-...)")
    s.add_argument("--n", type=int, default=20_000, help="objects in a newly simulated demo survey")
    s.add_argument(
        "--serve",
        action="store_true",
        help="serve the app at once and build the missing demos behind it, 5,000-object ones first, their "
        "progress shown in the app (what `make demo` runs)",
    )
    s.add_argument("--port", type=int, default=8501, help="with --serve: the app's port")
    s.add_argument("--public", action="store_true", help="with --serve: serve as a public demo (see serve --public)")

    s = verb(
        "bench",
        cmd_bench,
        "scale figures as JSON: search latency and recall at 1e4-1e7 objects, map "
        "extension faithfulness, build time and memory at 1e5 and 1e6, the label database "
        "with 1e6 labels (takes ~35 min)",
    )
    s.add_argument("--out", type=Path, default=Path("bench_scale.json"), help="JSON file to write")
    s.add_argument("--json", action="store_true", help="also print the JSON")
    s.add_argument(
        "--parts",
        default="search,own,map,build,browser,labels",
        help="comma-separated subset of search,own,map,build,browser,labels "
        "(and, alone: speed, framing, evaluate, demo, pages, labeling)",
    )
    s.add_argument(
        "--pages-data", type=Path, default=None, help="pages, labeling: the data root whose artifact sets are visited"
    )
    s.add_argument(
        "--evaluate-artifacts",
        default="",
        help="evaluate: comma-separated artifact folders to time (frozen and full); each dataset's first folder "
        "starts with its caches cleared, a later one on the same dataset reuses its baselines",
    )
    s.add_argument("--evaluate-modes", default="frozen,full", help="evaluate: the modes to time, in order")
    s.add_argument("--search-sizes", default="1e4,1e5,1e6,1e7", help="objects per search size")
    s.add_argument("--build-sizes", default="1e5,1e6", help="objects per build size")
    s.add_argument("--browser-sizes", default="1e5,1e6", help="objects of the synthetic maps opened in chromium")
    s.add_argument(
        "--survey-size", default="1e6", help="stars of the simulated survey whose own embeddings are measured"
    )
    s.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the bench's datasets and builds are kept (default: <data>/bench)",
    )
    s.add_argument("--no-app", action="store_true", help="speed: skip the map click latency in chromium")

    s = verb(
        "hunt",
        cmd_hunt,
        "the simulated anomaly hunt of a simulated survey's artifact set, as JSON (the "
        "active_learning entry of evaluate --json alone)",
    )
    s.add_argument("--artifacts", required=True, help="artifact folder (from build) of a simulated survey")
    s.add_argument("--out", type=Path, default=None, help="also write the JSON here")

    s = verb(
        "calibrate",
        cmd_calibrate,
        "how hard a simulated galaxy sky is: a ResNet from scratch and catalogue "
        "baselines for morphology and photometric redshift, as JSON",
    )
    s.add_argument("dataset", help="a simulated galaxy dataset (its own seed, never the evaluation's)")
    s.add_argument("--epochs", type=int, default=30, help="epochs of the networks from scratch (default 30)")
    s.add_argument("--out", type=Path, default=None, help="also write the JSON here")

    s = verb(
        "report",
        cmd_report,
        "markdown tables of evaluation results (one result, or name=path of several "
        "galaxy results for the encoder comparison)",
    )
    s.add_argument("results", nargs="+", help="evaluation JSON file(s)")

    s = verb(
        "load",
        cmd_load,
        "serve the app and drive concurrent sessions through Streamlit's protocol; "
        "latency, errors, CPU and memory as JSON",
    )
    s.add_argument("--sessions", type=int, default=10)
    s.add_argument("--minutes", type=float, default=5.0)
    s.add_argument("--max-interactions", type=int, default=1000, help="per session")
    s.add_argument("--data", type=Path, default=None, help="data root (default: ASTRODISC_DATA or data/)")
    s.add_argument("--dataset", default=None, help="artifact set's dataset (default: the first set)")
    s.add_argument("--model", default=None, help="artifact set's model")
    s.add_argument("--public", action="store_true", help="serve in public mode (no labels saved)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--think", default="3,10", help="pause between a session's interactions: min,max [s]")
    s.add_argument("--out", type=Path, default=None, help="also write the JSON here")

    verb(
        "screenshots",
        cmd_screenshots,
        "regenerate the README's screenshots of every page in docs/ (needs "
        "`make demo-data` and the test set-up's playwright)",
    )

    s = verb("labels", cmd_labels, "back up or restore the label database (labels and saved subsets)")
    s.add_argument(
        "action",
        choices=["backup", "restore"],
        help="backup: copy the database to FILE while the app may write; restore: put FILE's labels "
        "back (the replaced database is kept beside it)",
    )
    s.add_argument("file", type=Path, help="the backup file to write (backup) or read (restore)")
    s.add_argument(
        "--db", type=Path, default=None, help="the label database (default: ASTRODISC_LABELS or <data>/labels.sqlite)"
    )
    s.add_argument("--force", action="store_true", help="backup: replace FILE if it exists")

    s = verb("serve", cmd_serve, "serve the app")
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--data", type=Path, default=data_dir(), help="data root with the artifact sets")
    s.add_argument(
        "--public",
        action="store_true",
        help="serve as a public demo (also ASTRODISC_PUBLIC=1): "
        "read-only data, labels per browser session, upload and rate limits, XSRF on, no tracebacks",
    )
    s.add_argument(
        "--no-warm-up",
        action="store_true",
        help="do not open the default page once the server is up "
        "(by default it is, so the first visitor does not pay the imports and the artifact load)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as exc:
        print(f"astrodisc {args.verb}: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"astrodisc {args.verb}: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
