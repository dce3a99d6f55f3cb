"""Plotly figures of the Model page: training curve, confusion matrix, label efficiency, map faithfulness and
label distances. Pure functions of the records in :mod:`astrodisc.eval.summary` and
:mod:`astrodisc.eval.faithfulness`; no Streamlit here, so tests read the figures' data directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from astrodisc.eval.faithfulness import Faithfulness
from astrodisc.eval.summary import ARM_TITLES, Confusion, TrainingCurve

_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def training_curve_figure(curve: TrainingCurve, *, height: int = 320) -> go.Figure:
    """Training and validation loss per epoch, the kept (best) epoch marked."""
    fig = go.Figure(
        [
            go.Scatter(x=curve.epoch, y=curve.train_loss, mode="lines+markers", name="training"),
            go.Scatter(x=curve.epoch, y=curve.val_loss, mode="lines+markers", name="validation"),
        ]
    )
    if curve.best_epoch:
        fig.add_vline(x=curve.best_epoch, line_dash="dot", annotation_text=f"kept: epoch {curve.best_epoch}")
    fig.update_layout(title="Pretraining loss", xaxis_title="epoch", yaxis_title="loss", height=height, margin=_MARGIN)
    return fig


def confusion_figure(confusion: Confusion, title: str, *, predicted: str = "predicted", height: int = 460) -> go.Figure:
    """Heatmap of ``confusion``: rows true class (top to bottom), columns predicted; each cell's text is its
    count, its colour the share of its row (the recall of the diagonal), so rare classes stay readable."""
    counts = confusion.counts
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=confusion.classes,
            y=confusion.classes,
            text=counts,
            texttemplate="%{text}",
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": "row share", "tickformat": ".0%"},
            hovertemplate="true %{y}, predicted %{x}: %{text} objects (%{z:.0%} of the row)<extra></extra>",
        )
    )
    fig.update_layout(title=title, xaxis_title=predicted, yaxis_title="label", height=height, margin=_MARGIN)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return fig


def label_efficiency_figure(table: pd.DataFrame, task: str, *, height: int = 360) -> go.Figure:
    """Accuracy against label fraction (log axis) for each arm of one task of
    :func:`astrodisc.eval.summary.label_efficiency`, with the std over split seeds as error bars."""
    part = table[table["task"] == task]
    arms = [(title, part[part["arm"] == arm]) for arm, title in ARM_TITLES.items()]
    fig = go.Figure(
        [
            go.Scatter(
                x=rows["fraction"],
                y=rows["accuracy"],
                mode="lines+markers",
                name=title,
                error_y={"type": "data", "array": rows["accuracy_std"]},
            )
            for title, rows in arms
            if len(rows)
        ]
    )
    fig.update_layout(
        title=f"Label efficiency: {task}",
        xaxis_title="fraction of the training labels",
        yaxis_title="test accuracy",
        height=height,
        margin=_MARGIN,
    )
    fig.update_xaxes(type="log", tickformat=".0%", tickvals=sorted(part["fraction"].unique()))
    fig.update_yaxes(tickformat=".0%")
    return fig


def faithfulness_figure(result: Faithfulness, *, height: int = 300) -> go.Figure:
    """Histogram of the per-object shares of embedding neighbours kept on the map (one bar per count of k)."""
    counts = np.bincount(np.rint(result.share * result.k).astype(int), minlength=result.k + 1)
    fig = go.Figure(go.Bar(x=np.arange(result.k + 1) / result.k, y=counts, name="objects"))
    fig.add_vline(x=result.mean, line_dash="dot", annotation_text=f"mean {result.mean:.2f}")
    fig.update_layout(
        title=f"Neighbours kept on the map ({len(result.rows)} objects, k = {result.k})",
        xaxis_title=f"share of the {result.k} embedding neighbours that stay map neighbours",
        yaxis_title="objects",
        height=height,
        margin=_MARGIN,
        bargap=0.05,
    )
    fig.update_xaxes(tickformat=".0%")
    return fig


def label_distance_figure(catalog: pd.DataFrame, threshold: float | None, *, height: int = 300) -> go.Figure:
    """Histograms (per cent of each group) of ``label_distance`` for labelled and unlabelled objects, with the
    out-of-distribution threshold (a cosine distance; None: none) marked."""
    labelled = catalog["label"].notna()
    distance = catalog["label_distance"]
    groups = {"labelled": distance[labelled], "unlabelled": distance[~labelled]}
    fig = go.Figure(
        [
            go.Histogram(x=values, name=name, histnorm="percent", opacity=0.6, nbinsx=60)
            for name, values in groups.items()
            if len(values)
        ]
    )
    if threshold is not None:
        fig.add_vline(x=threshold, line_dash="dot", annotation_text="out of distribution →")
    fig.update_layout(
        title="Distance to the nearest labelled object",
        barmode="overlay",
        xaxis_title="cosine distance (1 − cos)",
        yaxis_title="% of the group",
        height=height,
        margin=_MARGIN,
    )
    return fig
