"""The build's clusters of a catalogue: groups in its own columns, the columns chosen as a statistician chooses them.

An astronomer sorts long-period variables in the period-amplitude plane, not in all twelve columns of the table:
most columns carry no group (a colour reddened by the field, a secondary period's ratio) and a mixture over all of
them finds the wrong groups (a three-component mixture over every log-scaled column of a real LPV catalogue: ARI
0.42; over two well-chosen columns: 0.76). So the columns are chosen first, by **variable selection for model-based
clustering** (Raftery & Dean 2006, the ``clustvarsel`` method), then grouped as the sub-clusters are
(:mod:`astrodisc.chain.subclusters`):

1. **Candidates**: the :func:`astrodisc.chain.subclusters.descriptive_columns` (no positions, errors, counts,
   apparent magnitudes), scaled as the encoder reads them (log10 where heavy-tailed, standardised), that hold a value
   for at least ``MIN_PRESENT`` of the objects (a column many objects lack describes those that have it, and its
   presence alone would make a group), and that are not the second or later of a numbered series of periods,
   amplitudes or frequencies
   (:func:`astrodisc.data.io.catalogs.later_of_a_series`: ``P_2``, ``A_3`` beside ``P_1``): a star's secondary
   periods group stars by how they pulsate (other modes, long secondary periods), not by their type, which the
   primary one defines.
2. **Forward selection** on at most ``SELECTION_SAMPLE`` objects with every candidate value: starting from no
   column, each step adds the candidate x whose evidence for groups is largest, where the evidence is the BIC of
   "x is explained by the columns chosen so far" (a linear regression of x on them, Gaussian residuals, plus the
   best mixture of 2 to MAX_COMPONENTS components of the chosen columns) minus the BIC of "x takes part in the
   groups" (the best mixture of the chosen columns with x), and stops when no candidate has positive evidence.
   A column that only repeats what the chosen ones say (a colour that follows the period) is explained by the
   regression and is not added (Raftery & Dean's headlong forward search, without their removal step).
3. **The groups**: the mixture over the chosen columns with the number of components by ICL and every object placed
   by the marginal over the values it has (:func:`astrodisc.chain.subclusters.mixture_by_icl`,
   :func:`astrodisc.chain.subclusters.assign`); its posterior is the membership probability and each group's mean
   posterior its stability.

No column chosen, or ICL choosing one component: None, and the build falls back to the embedding's criterion
(:mod:`astrodisc.chain.clusters`). Chosen against that criterion (HDBSCAN on an 8-D UMAP of the scaled columns) on
simulated OGLE-like catalogues of three LPV subtypes (:mod:`astrodisc.data.sim.lpv_catalog`, seeds 1-3: ARI
0.87-0.93 against 0.27-0.36) and on LINEAR's table read without its labels (0.73 against 0.77);
``docs/lpv-catalogue-clusters.json`` has those and seeds 4-6, not used for any choice.

Example::

    found = column_clusters(descriptive_columns(store.objects))
    None if found is None else (found.columns, found.groups.labels)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.mixture import GaussianMixture

from astrodisc.chain.clusters import MIN_GROUPED, Groups
from astrodisc.chain.subclusters import (
    MAX_COMPONENTS,
    REG_COVAR,
    assign,
    mixture_by_icl,
    mixture_groups,
    scaled_values,
)
from astrodisc.data.io.catalogs import later_of_a_series

MIN_PRESENT = 0.9  # share of the objects a candidate column must hold a value for
SELECTION_SAMPLE = 3000  # objects the selection is judged on (a random draw of those with every candidate value)
SELECTION_INIT = 2  # mixture restarts during the selection


@dataclass(frozen=True)
class ColumnClusters:
    """A catalogue's groups in its columns (the module docstring's criterion), for its N objects."""

    columns: tuple[str, ...]  # the chosen columns, in the order they were added
    evidence: tuple[float, ...]  # the BIC evidence for groups of each when it was added (> 0)
    groups: Groups  # labels (0 the largest group), posteriors, each group's mean posterior as its persistence;
    # min_cluster_size the smallest group; validity NaN (ICL chose the number)
    icl: tuple[float, ...]  # ICL of 1, 2, ... components (inf: a component under MIN_SIZE)


def _best_bic(x: np.ndarray, seed: int) -> float:
    """The lowest BIC of mixtures with 2 to MAX_COMPONENTS components over (n, d) complete rows ``x``."""
    return min(
        GaussianMixture(k, n_init=SELECTION_INIT, reg_covar=REG_COVAR, random_state=seed).fit(x).bic(x)
        for k in range(2, MAX_COMPONENTS + 1)
    )


def _regression_bic(y: np.ndarray, x: np.ndarray) -> float:
    """BIC of (n,) ``y`` explained by a linear regression on (n, d) ``x`` (d may be 0) with Gaussian residuals."""
    fitted = LinearRegression().fit(x, y).predict(x) if x.shape[1] else np.full(len(y), y.mean())
    variance = max(float(np.var(y - fitted)), 1e-12)
    return len(y) * (np.log(2 * np.pi * variance) + 1) + (x.shape[1] + 2) * np.log(len(y))


def candidates(table: pd.DataFrame, values: np.ndarray) -> list[int]:
    """Step 1 of the criterion: the indices of the columns of ``table`` (its (N, F) scaled ``values``) that may be
    chosen."""
    later = set(later_of_a_series([str(c) for c in table.columns]))
    return [
        j
        for j, name in enumerate(table.columns)
        if str(name) not in later and np.isfinite(values[:, j]).mean() >= MIN_PRESENT
    ]


def select_columns(values: np.ndarray, candidates: list[int], *, seed: int = 0) -> list[tuple[int, float]]:
    """Step 2 of the criterion on (N, F) scaled ``values`` (NaN where missing) among the ``candidates`` (column
    indices): the chosen columns' indices in the order they were added, each with its evidence."""
    candidates = list(candidates)
    rows = np.flatnonzero(np.isfinite(values[:, candidates]).all(axis=1))
    if len(rows) < MIN_GROUPED * MAX_COMPONENTS:
        return []
    if len(rows) > SELECTION_SAMPLE:
        rows = np.random.default_rng(seed).choice(rows, SELECTION_SAMPLE, replace=False)
    sample = values[rows]
    chosen: list[tuple[int, float]] = []
    grouped = 0.0  # the best mixture's BIC over the chosen columns (none yet)
    while candidates:
        picked = [j for j, _ in chosen]
        with_each = {j: _best_bic(sample[:, [*picked, j]], seed) for j in candidates}
        best, j = max(
            (grouped + _regression_bic(sample[:, j], sample[:, picked]) - with_each[j], j) for j in candidates
        )
        if best <= 0:
            break
        chosen.append((j, float(best)))
        candidates.remove(j)
        grouped = with_each[j]
    return chosen


def column_clusters(table: pd.DataFrame, *, seed: int = 0) -> ColumnClusters | None:
    """The groups of a catalogue's N objects in their :func:`astrodisc.chain.subclusters.descriptive_columns`
    ``table`` (N rows), or None when no column is chosen or one component is best."""
    if len(table) < MIN_GROUPED or table.shape[1] == 0:
        return None
    values = scaled_values(table)
    chosen = select_columns(values, candidates(table, values), seed=seed)
    if not chosen:
        return None
    x = values[:, [j for j, _ in chosen]]
    fitted = mixture_by_icl(x, seed=seed)
    if fitted is None:
        return None
    mixture, icl = fitted
    labels, posterior = assign(mixture, x)
    names = [str(c) for c in table.columns]
    return ColumnClusters(
        columns=tuple(names[j] for j, _ in chosen),
        evidence=tuple(round(e, 1) for _, e in chosen),
        groups=mixture_groups(labels, posterior),
        icl=icl,
    )
