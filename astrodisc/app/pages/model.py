"""Model page: what the artifact set's model is, how it trained, how good it is, how far to trust its predictions
on this survey, how faithful the map is to the embedding and which catalogue columns it is laid out along.

Layout only: the records come from ``astrodisc.eval.summary`` and ``astrodisc.eval.faithfulness``, the figures from
``astrodisc.app.model_figures``. Map faithfulness is measured here, not in the build: about a second for 2,000
objects, a view of the map that no other stage reads, cached once per build (keyed by the manifest's time).
"""

import time
from pathlib import Path

import pandas as pd
import streamlit as st

from astrodisc.app import figures as render
from astrodisc.app import model_figures, public_mode
from astrodisc.app import state as app_state
from astrodisc.chain.artifacts import Artifacts
from astrodisc.chain.subclusters import COLUMNS
from astrodisc.discover.subclasses import NOT_DESCRIPTIVE
from astrodisc.errors import UserError
from astrodisc.eval import summary as model_report
from astrodisc.eval.faithfulness import Faithfulness, map_drivers, map_faithfulness

TASK_KEY, CONFUSION_KEY = "model_task", "model_confusion"


@st.cache_data(show_spinner="Comparing neighbourhoods on the map and in the embedding…", show_time=True, max_entries=8)
def _faithfulness(root: str, built: str, _artifacts: Artifacts) -> Faithfulness:
    """The map faithfulness of the artifact set at ``root`` as built at ``built`` (the manifest's time)."""
    return map_faithfulness(_artifacts)


@st.cache_data(show_spinner="Reading which columns the map is laid out along…", show_time=True, max_entries=8)
def _drivers(root: str, built: str, _artifacts: Artifacts) -> pd.DataFrame:
    """:func:`map_drivers` of every numeric catalogue column of the set at ``root`` (built at ``built``)."""
    catalog = _artifacts.catalog
    columns = [
        c
        for c in catalog.columns
        if c not in NOT_DESCRIPTIVE
        and pd.api.types.is_numeric_dtype(catalog[c])
        and not pd.api.types.is_bool_dtype(catalog[c])
    ]
    return map_drivers(catalog, columns)


def show() -> None:
    """Draw the model page (every Streamlit run of pages/model.py)."""
    app_state.require_app()
    current = app_state.current()
    artifacts, dataset = current.artifacts, current.store.info.name
    manifest, catalog = artifacts.manifest, artifacts.catalog
    model_dir = Path(manifest["model"]["path"])
    # no server paths
    shown_model, shown_set = public_mode.shown_path(model_dir), public_mode.shown_path(artifacts.root)

    st.title(f"Model · {manifest['model']['name']}")
    st.caption(f"Model folder `{shown_model}` · artifact set `{shown_set}`")

    st.header("Model card")
    card = model_report.read_model_card(model_dir)
    if card is None:
        st.info(f"No model card: `{shown_model}` has no {model_report.MODEL_CARD_FILE} (`astrodisc train` writes one).")
    else:
        with st.expander(model_report.MODEL_CARD_FILE, expanded=True):
            st.markdown(card)

    st.header("Training")
    curve = model_report.read_training_curve(model_dir)
    if curve is None:
        st.info(
            f"No training history: `{shown_model}` has no config.json with a `training.history` "
            "(`astrodisc train` records the loss of every epoch there)."
        )
    else:
        st.plotly_chart(model_figures.training_curve_figure(curve), config=render.CHART_CONFIG)
        st.caption(
            f"Self-supervised objective per epoch: training loss averaged over the epoch's batches, validation "
            f"loss on a seeded held-out tenth of the objects. The weights of epoch {curve.best_epoch} (lowest "
            f"validation loss) were kept."
        )

    st.header(f"Predictions on {dataset}")
    labels_stage = manifest["stages"]["labels"]["inputs"]
    vote = model_report.vote_confusion(catalog)
    ood = model_report.ood_summary(catalog, manifest)
    accuracy_col, ood_col, threshold_col = st.columns(3)
    accuracy_col.metric("k-NN vote accuracy (leave-one-out)", "—" if not vote.counts.sum() else f"{vote.accuracy:.1%}")
    ood_col.metric("Flagged out of distribution", "—" if ood.share is None else f"{ood.share:.1%}")
    threshold_col.metric(
        "Out-of-distribution threshold",
        "—" if ood.threshold is None else f"{ood.threshold:.4f}",
        help="cosine distance 1 − cos to the nearest labelled object",
    )
    if vote.counts.sum():
        st.plotly_chart(
            model_figures.confusion_figure(
                vote, "k-NN vote against this survey's labels", predicted="predicted (k-NN vote)"
            ),
            config=render.CHART_CONFIG,
        )
        st.caption(
            f"Each of the {vote.counts.sum():,} labelled objects is predicted by its {labels_stage['k']} nearest "
            f"*other* labelled objects in the {labels_stage['space']} space (votes weighted by cosine similarity), "
            "never by its own label: a leave-one-out k-NN classifier scored against the survey's own labels, "
            "wrong labels included; not a held-out test split."
        )
    else:
        st.info(f"No labelled objects in {dataset}: there is no vote to score and no distance to a label.")
    if ood.share_labelled is not None:
        st.plotly_chart(model_figures.label_distance_figure(catalog, ood.threshold), config=render.CHART_CONFIG)
        unlabelled = "" if ood.share_unlabelled is None else f", {ood.share_unlabelled:.1%} of the unlabelled ones"
        st.caption(
            f"Every prediction carries `label_distance`, its distance to the nearest labelled object; `ood` flags "
            f"the objects beyond the threshold ({ood.rule}). Flagged: {ood.share_labelled:.1%} of the labelled "
            f"objects (about {1 - ood.quantile:.0%} by construction){unlabelled}."
        )

    st.header("Evaluation")
    _show_running_evaluation(artifacts.root)
    evaluation = model_report.find_evaluation(artifacts.root, model_dir)
    if evaluation is None:
        st.info(
            f"No evaluation of this model: `astrodisc evaluate --artifacts {shown_set} --frozen` (minutes: what "
            "reads the frozen embedding) or without `--frozen` (the full protocol with networks trained, resumable) "
            f"writes `{model_report.EVALUATION_FILE}` into the artifact set, and this page shows it."
        )
    else:
        source = "this artifact set's" if evaluation.own else "the evaluation committed with the shipped model,"
        st.caption(
            f"Measured on **{evaluation.dataset}** ({source} `{evaluation.path.name}`)"
            + ("" if evaluation.dataset == dataset else f", not on {dataset}")
            + f": test split, mean ± std over "
            f"{evaluation.seeds} split seeds; confusion matrices of the first split seed."
        )
        try:
            efficiency = model_report.label_efficiency(evaluation.result)
            confusions = model_report.evaluation_confusions(evaluation.result)
        except UserError as err:  # an evaluation.json of neither layout: say so, the rest of the page still works
            st.warning(f"`{evaluation.path.name}` cannot be read as an evaluation: {err}")
            efficiency, confusions = pd.DataFrame(), {}
        if len(efficiency):
            tasks = sorted(efficiency["task"].unique())
            task = st.selectbox("Task", tasks, index=tasks.index("all") if "all" in tasks else 0, key=TASK_KEY)
            st.plotly_chart(model_figures.label_efficiency_figure(efficiency, task), config=render.CHART_CONFIG)
        for title, caption, table in (
            (
                "On the set's own labels",
                "Standardised logistic regression, stratified 5-fold: accuracy and one-vs-rest AUC per class; "
                "p@10: the share of an object's 10 nearest neighbours (cosine) with its label, by its class.",
                model_report.labelled_table(evaluation.result),
            ),
            (
                "Structures of the simulated galaxies",
                "From the hidden truth: can a linear probe (stratified 5-fold) on each feature set tell bars, rings, "
                "tidal debris (AUC of present against absent) and the number of arms (accuracy)?",
                model_report.structure_table(evaluation.result),
            ),
        ):
            if len(table):
                st.subheader(title)
                st.caption(caption)
                st.dataframe(table, hide_index=True)
        if confusions:
            name = st.selectbox("Confusion matrix", list(confusions), key=CONFUSION_KEY)
            st.plotly_chart(model_figures.confusion_figure(confusions[name], name), config=render.CHART_CONFIG)

    st.header("Map faithfulness")
    faithfulness = _faithfulness(str(artifacts.root), manifest["created"], artifacts)
    n = len(catalog)
    st.metric(f"Embedding neighbours kept on the map (k = {faithfulness.k})", f"{faithfulness.mean:.1%}")
    st.plotly_chart(model_figures.faithfulness_figure(faithfulness), config=render.CHART_CONFIG)
    st.caption(
        f"For {len(faithfulness.rows):,} objects (a seeded sample): the share of each object's {faithfulness.k} "
        f"nearest neighbours in the {artifacts.map_space} embedding (cosine) that are also among its "
        f"{faithfulness.k} nearest on the 2-D map. A map unrelated to the embedding would keep "
        f"{faithfulness.k / max(n - 1, 1):.2%}. Read the other way, the same share of an object's map neighbours "
        "are its neighbours in the embedding."
    )

    drivers = _drivers(str(artifacts.root), manifest["created"], artifacts)
    if len(drivers):
        st.header("Which columns drive the map")
        st.caption(
            "For each catalogue column: the share of its spread that an object's 10 nearest map neighbours hold "
            "(R² of the column against its mean over them). Near 1: the map is laid out along it; near 0: the map "
            "ignores it. A column that looks distance-dependent (an apparent magnitude) near the top, or a "
            "“missing” row, means the map sorts by distance or by what is missing rather than by kind: leave those "
            "columns out (`astrodisc import catalog --exclude-columns`)."
        )
        st.dataframe(
            drivers,
            hide_index=True,
            column_config={
                "r2": st.column_config.ProgressColumn("R² on the map", min_value=0.0, max_value=1.0, format="%.2f"),
                "n": st.column_config.NumberColumn("objects with a value"),
            },
        )
    clusters = manifest.get("clusters", {})
    if clusters.get("space") == COLUMNS:
        st.caption(
            f"The map's {len(clusters['persistence'])} clusters were found in the columns "
            f"{', '.join(clusters['columns'])}: chosen from the catalogue's descriptive columns by variable selection "
            "(each adds evidence for groups beyond what the columns before it say; Raftery & Dean 2006), then a "
            "Gaussian mixture over them, its number of groups by ICL."
        )


def _show_running_evaluation(artifact_dir: Path) -> None:
    """The cells an unfinished evaluation of this artifact set has done so far, with its progress."""
    running = model_report.evaluation_in_progress(artifact_dir)
    if running is None:
        return
    left = "" if running.seconds_left is None else f", about {running.seconds_left / 60:.0f} min left"
    when = time.strftime("%H:%M:%S", time.localtime(running.updated))
    st.progress(
        running.done / max(running.total, 1),
        text=f"An evaluation of this artifact set: {running.done} of {running.total} cells done "
        f"({running.reused} from the caches){left}, as of {when} (a time long past means it stopped).",
    )
    st.dataframe(model_report.progress_table(running), hide_index=True)
