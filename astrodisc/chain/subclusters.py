"""The build's sub-clusters of every class: in its catalogue columns where a subtype shows there, as an astronomer
splits Miras by J−K and period, else by the embedding's criterion (:mod:`astrodisc.chain.clusters`).

Where a class's objects are described by physical columns (variable stars, catalogues: ``DESCRIBED_BY_COLUMNS``)
a subtype shows first as a column whose values within the class fall into two separated modes. The criterion:

1. **Descriptive columns** (:func:`descriptive_columns`): the numeric columns that say what an object is — not
   where it is (positions), how well or how often it was measured (errors; counts of observations — LINEAR's
   ``nObs`` has two modes, how often the survey visited a field, and split every class of the real catalogue),
   what the build added, nor how far it is (apparent magnitudes and fluxes by
   :func:`astrodisc.data.io.catalogs.distance_dependent`, parallax and proper motions).
   Where the catalogue has Gaia's G magnitude and a parallax measured to ``MIN_PARALLAX_SNR``, the absolute
   magnitude ``abs_g_mag`` = G + 5 log10(ϖ / 100 mas) stands for the luminosity they hide. Each column is scaled
   within the class as :class:`astrodisc.learn.columns.ColumnScaler` does (log10 where positive and heavy-tailed,
   then standardised), missing values kept missing.
2. **Columns with two modes**: a two-component Gaussian mixture on each column's values (the outer ``TRIM`` % at
   each end cut, or a handful of outliers take a component of their own); a column is kept when
   its modes are separated by Ashman's D = √2 |μ1 − μ2| / √(σ1² + σ2²) > ``MIN_SEPARATION`` and the smaller mode
   holds at least ``MIN_WEIGHT`` of the class (Ashman, Bird & Zepf 1994 call D > 2 a clean separation; 3 asks
   for more, since a skewed single mode reaches 2–2.8 in the simulated surveys' classes). A flat column reaches
   D = 3.5 too (a uniform's two halves), but its density has no valley: the column is kept only when its density
   (a Gaussian KDE) falls between the two means below ``MAX_VALLEY`` of the lower side's peak (uniform samples:
   0.84–0.97; the columns kept in the simulated surveys: 0.39–0.75).
3. **How many groups: a mixture over the kept columns** (full covariances, none narrower than a tenth of the
   class's spread) with 1 to ``MAX_COMPONENTS`` components fitted on the members with every kept value, the
   number chosen by ICL among the fits whose every component holds ``MIN_SIZE`` members: BIC plus twice the
   entropy of the members' posteriors (Biernacki, Celeux & Govaert 2000), which asks for groups that are
   separated, not only for a good density — BIC alone split the ROT stars into 3–4 Gaussians where ICL finds 2–3
   (ARI 0.68 / 0.68 → 0.72 / 0.77 on the choice surveys, the Miras unchanged). Every member is then given
   the component of highest posterior over the values it has (the mixture's marginal over the missing ones), so a
   member without one value is placed by the others, never made a group of its own; its posterior is its
   membership probability, and each group's mean posterior its stability.

No kept column, or ICL choosing one component: the class has no sub-clusters in its columns, and the build
splits it by the embedding's criterion instead, in the survey's clustering layout (:func:`class_subclusters`).
Chosen on the simulated surveys of seeds 101 and 102 (Mira and ROT subtypes, and the classes without subtypes,
which must stay whole) and on synthetic groups (tests: 2, 3, 5 and 8 groups), never on a survey whose figures are
reported as held out. The reduced proper motion also splits RR Lyrae into halo and disc kinematics, which the
simulated truth does not name as subtypes.

Example::

    modes = column_modes(descriptive_columns(objects.iloc[members]))
    None if modes is None else (modes.columns, modes.groups.labels)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde, multivariate_normal
from sklearn.mixture import GaussianMixture

from astrodisc.chain.clusters import MIN_GROUPED, MIN_SIZE, Groups, SubclusterMap, subcluster_map
from astrodisc.data.io.catalogs import distance_dependent, is_error_column, is_observation_count
from astrodisc.data.store import ANOMALY_RANK_PREFIX, CATALOG_ADDED_COLUMNS
from astrodisc.learn.columns import ColumnScaler

DESCRIBED_BY_COLUMNS = ("varstars", "catalog")  # dataset kinds whose columns describe the object itself
NOT_DESCRIPTIVE = frozenset(
    {"object_id", "ra", "dec", "l", "b", "parallax", "pm", "pmra", "pmdec", *CATALOG_ADDED_COLUMNS}
)
MIN_PARALLAX_SNR = 5.0  # parallax / its error from which an absolute magnitude is derived
ABSOLUTE_G = "abs_g_mag"
REDUCED_PROPER_MOTION_G = "rpm_g_mag"  # H_G = G + 5 log10(mu / mas/yr) + 5 = M_G + 5 log10(v_t / 4.74 km/s)
MIN_SEPARATION = 3.0  # Ashman's D between a column's two modes
MIN_WEIGHT = 0.05  # share of the class in the smaller mode
MAX_VALLEY = 0.8  # the density's lowest point between the modes, as a share of the lower peak (a flat column: 0.85-1)
VALLEY_GRID = 400  # points the density is evaluated at
MAX_COMPONENTS = 8
COLUMNS = "columns"  # the basis of sub-clusters found in the catalogue columns (else the clustered space's name)
MIN_VALUES = 20  # finite values a column needs to be judged
TRIM = 1.0  # percent of a column's values cut at each end before its modes are judged (outliers take a mode)
MIN_PER_COMPONENT = 10  # complete members per mixture component at least (caps the number tried)
N_INIT = 3  # mixture restarts, the best kept
REG_COVAR = 0.01  # added to the mixture's variances (scaled units): no component narrower than 0.1 of the class


@dataclass(frozen=True)
class ColumnModes:
    """A class's sub-clusters found in its columns (the module docstring's criterion), for its n members."""

    columns: tuple[str, ...]  # the columns with two modes, most separated first
    separation: tuple[float, ...]  # Ashman's D of each
    values: np.ndarray  # (n, len(columns)) float64 scaled values, NaN where missing
    axes: tuple[str, str]  # the two columns the members are drawn on (the most separated ones)
    xy: np.ndarray  # (n, 2) float32 the members on ``axes`` (scaled; missing values at 0, the class mean)
    groups: Groups  # labels (0 the largest group), posterior probabilities, each group's mean posterior as
    # its persistence; min_cluster_size the smallest group; validity NaN (ICL chose the number)
    icl: tuple[float, ...]  # ICL of 1, 2, ... components (inf: a component under MIN_SIZE); () when the number was set

    @property
    def n_groups(self) -> int:
        return self.groups.n_groups

    def subcluster_map(self) -> SubclusterMap:
        """The same sub-clusters as the Subclasses page draws them: on ``axes``, laid out in the scaled columns."""
        return SubclusterMap(self.xy, np.nan_to_num(self.values).astype(np.float32), self.groups)


def descriptive_columns(objects: pd.DataFrame) -> pd.DataFrame:
    """The numeric columns of ``objects`` (a dataset's object table, or an artifact set's catalogue: what the build
    added, such as the ``anomaly_<space>`` ranks, is left out) that describe what each object is (step 1 of the
    module docstring), float64 with NaN where missing, then the :func:`luminosity_columns`."""
    numeric = [
        c
        for c in objects.columns
        if pd.api.types.is_numeric_dtype(objects[c]) and not pd.api.types.is_bool_dtype(objects[c])
    ]
    far = set(distance_dependent(numeric))
    kept = [
        c
        for c in numeric
        if c not in NOT_DESCRIPTIVE
        and c not in far
        and not is_error_column(c)
        and not is_observation_count(c)
        and not c.startswith(ANOMALY_RANK_PREFIX)
    ]
    return objects[kept].astype(np.float64).join(luminosity_columns(objects)).replace([np.inf, -np.inf], np.nan)


def luminosity_columns(objects: pd.DataFrame) -> pd.DataFrame:
    """What an apparent magnitude hides, where the catalogue can say it: ``abs_g_mag`` (Gaia G and a parallax of
    S/N >= MIN_PARALLAX_SNR) and ``rpm_g_mag``, the reduced proper motion (a proper motion of that S/N); NaN
    elsewhere, no column when the catalogue lacks what it needs or has a column of that name."""
    out = pd.DataFrame(index=objects.index)
    if "phot_g_mean_mag" not in objects.columns:
        return out
    g = objects["phot_g_mean_mag"].to_numpy(np.float64)
    if {"parallax", "parallax_over_error"} <= set(objects.columns):
        parallax = objects["parallax"].to_numpy(np.float64)
        good = (objects["parallax_over_error"].to_numpy(np.float64) >= MIN_PARALLAX_SNR) & (parallax > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[ABSOLUTE_G] = np.where(good, g + 5 * np.log10(parallax / 100), np.nan)
    if {"pm", "pmra_error"} <= set(objects.columns):
        motion = objects["pm"].to_numpy(np.float64)
        good = (motion >= MIN_PARALLAX_SNR * objects["pmra_error"].to_numpy(np.float64)) & (motion > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[REDUCED_PROPER_MOTION_G] = np.where(good, g + 5 * np.log10(motion) + 5, np.nan)
    return out.drop(columns=[c for c in out.columns if c in objects.columns])  # the catalogue's own stand


def separation(values: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Of a column's finite ``values`` (the TRIM % at each end cut), a two-component mixture's Ashman D, its
    smaller weight, and the valley: the lowest density (Gaussian KDE) between the two means over the lower of the
    two sides' highest; (0, 0, 1) when fewer than MIN_VALUES values or a single value."""
    finite = values[np.isfinite(values)]
    if len(finite) >= MIN_VALUES:
        low_cut, high_cut = np.percentile(finite, [TRIM, 100 - TRIM])
        finite = finite[(finite >= low_cut) & (finite <= high_cut)]
    if len(finite) < MIN_VALUES or np.ptp(finite) == 0:
        return 0.0, 0.0, 1.0
    mixture = GaussianMixture(2, n_init=2, random_state=seed).fit(finite.reshape(-1, 1))
    means, variances = mixture.means_.ravel(), mixture.covariances_.ravel()
    d = float(np.sqrt(2) * abs(means[0] - means[1]) / np.sqrt(variances.sum()))
    low, high = np.sort(means)
    grid = np.linspace(finite.min(), finite.max(), VALLEY_GRID)
    density = gaussian_kde(finite)(grid)
    between = density[(grid >= low) & (grid <= high)]
    middle = (low + high) / 2
    peak = min(density[grid <= middle].max(initial=0.0), density[grid >= middle].max(initial=0.0))
    valley = float(between.min() / peak) if len(between) and peak > 0 else 1.0
    return d, float(mixture.weights_.min()), valley


def column_modes(table: pd.DataFrame, *, seed: int = 0, n_groups: int | None = None) -> ColumnModes | None:
    """Sub-clusters of a class's members in their :func:`descriptive_columns` ``table`` (n rows), or None when no
    column has two modes or the mixture is best with one component. ``n_groups`` fixes the number of components
    instead of ICL (a column with two modes is still needed)."""
    if len(table) < MIN_GROUPED or table.shape[1] == 0:
        return None
    values = scaled_values(table)
    judged = [(separation(values[:, j], seed), j) for j in range(values.shape[1])]
    ranked = sorted(judged, key=lambda item: -item[0][0])
    kept = [
        (d, j)
        for (d, weight, valley), j in ranked
        if d > MIN_SEPARATION and weight >= MIN_WEIGHT and valley < MAX_VALLEY
    ]
    if not kept:
        return None
    picked = [j for _, j in kept]
    x = values[:, picked]
    chosen = mixture_by_icl(x, seed=seed, n_groups=n_groups)
    if chosen is None:
        return None
    mixture, icl = chosen
    labels, posterior = assign(mixture, x)
    axes_j = (picked + [j for _, j in ranked if j not in picked])[:2]
    xy = np.nan_to_num(values[:, axes_j] if len(axes_j) == 2 else np.column_stack([values[:, axes_j[0]], 0 * x[:, 0]]))
    names = [str(c) for c in table.columns]
    return ColumnModes(
        columns=tuple(names[j] for j in picked),
        separation=tuple(round(d, 3) for d, _ in kept),
        values=x,
        axes=(names[axes_j[0]], names[axes_j[1]] if len(axes_j) == 2 else ""),
        xy=xy.astype(np.float32),
        groups=mixture_groups(labels, posterior),
        icl=icl,
    )


def scaled_values(table: pd.DataFrame) -> np.ndarray:
    """(n, F) float64 values of a :func:`descriptive_columns` table scaled as
    :class:`astrodisc.learn.columns.ColumnScaler` does (log10 where heavy-tailed, standardised), NaN where missing."""
    raw = table.to_numpy(np.float64)
    scaled = ColumnScaler.fit(raw).transform(raw)
    width = raw.shape[1]
    return np.where(scaled[:, width:] > 0, np.nan, scaled[:, :width]).astype(np.float64)


def mixture_by_icl(
    x: np.ndarray, *, seed: int = 0, n_groups: int | None = None
) -> tuple[GaussianMixture, tuple[float, ...]] | None:
    """The mixture over (n, d) values ``x`` (NaN where missing; fitted on the complete rows) with 1 to
    MAX_COMPONENTS components (at most one per MIN_PER_COMPONENT complete rows; or ``n_groups``), full
    covariances with REG_COVAR, chosen by ICL among the fits whose every component holds MIN_SIZE rows; and the ICL
    of each count tried (inf: a component under MIN_SIZE; () when the number was set). None when nothing fits or
    the choice is one component."""
    complete = x[np.isfinite(x).all(axis=1)]
    most = min(MAX_COMPONENTS, len(complete) // MIN_PER_COMPONENT)
    counts = [n_groups] if n_groups is not None else list(range(1, most + 1))
    if not counts or counts[-1] > most:
        return None
    fits = [GaussianMixture(k, n_init=N_INIT, reg_covar=REG_COVAR, random_state=seed).fit(complete) for k in counts]
    icl = [
        _icl(m, complete) if np.bincount(m.predict(complete), minlength=m.n_components).min() >= MIN_SIZE else np.inf
        for m in fits
    ]
    if not np.isfinite(min(icl)):
        return None
    mixture = fits[int(np.argmin(icl))]
    if mixture.n_components < 2:
        return None
    return mixture, tuple(round(v, 2) for v in icl) if n_groups is None else ()


def _icl(mixture: GaussianMixture, x: np.ndarray) -> float:
    """The integrated completed likelihood criterion of a fitted mixture on (n, d) complete rows ``x`` (lower is
    better): BIC plus twice the entropy of the rows' posteriors."""
    posterior = np.clip(mixture.predict_proba(x), 1e-300, 1.0)
    return float(mixture.bic(x) - 2.0 * np.sum(posterior * np.log(posterior)))


def assign(mixture: GaussianMixture, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's component of highest posterior over the values it has, and that posterior; rows without any
    value join the heaviest component with posterior 0."""
    labels = np.full(len(x), int(np.argmax(mixture.weights_)), np.int64)
    posterior = np.zeros(len(x), np.float64)
    seen = np.isfinite(x)
    patterns, which = np.unique(seen, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        rows, dims = np.flatnonzero(which.ravel() == p), np.flatnonzero(pattern)
        if not len(dims):
            continue
        log_p = np.column_stack(
            [
                np.log(mixture.weights_[c])
                + multivariate_normal(
                    mixture.means_[c, dims], mixture.covariances_[c][np.ix_(dims, dims)], allow_singular=True
                ).logpdf(x[np.ix_(rows, dims)])
                for c in range(mixture.n_components)
            ]
        ).reshape(len(rows), -1)
        log_p -= log_p.max(axis=1, keepdims=True)
        share = np.exp(log_p) / np.exp(log_p).sum(axis=1, keepdims=True)
        labels[rows] = share.argmax(axis=1)
        posterior[rows] = share.max(axis=1)
    return labels, posterior


def mixture_groups(labels: np.ndarray, posterior: np.ndarray) -> Groups:
    """Groups numbered by size (0 the largest), empty components dropped; persistence = mean posterior."""
    sizes = np.bincount(labels)
    order = [c for c in np.argsort(-sizes, kind="stable") if sizes[c]]
    renumber = np.full(len(sizes), -1, np.int64)
    renumber[order] = np.arange(len(order))
    numbered = renumber[labels]
    stability = tuple(round(float(posterior[numbered == g].mean()), 4) for g in range(len(order)))
    return Groups(numbered, posterior.astype(np.float32), stability, int(sizes[order].min()), float("nan"))


def subcluster_name(cls: str, number: int) -> str:
    """How a sub-cluster is named in the catalogue's ``subcluster`` column: "M #0"."""
    return f"{cls} #{number}"


def class_subclusters(
    points: np.ndarray, labels: np.ndarray, columns: pd.DataFrame | None, space: str
) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The build's sub-clusters of every class: for (N, d) survey layout ``points`` of ``space``, (N,) catalogue
    ``labels`` and the N objects' :func:`descriptive_columns` (None: a kind whose columns do not describe the
    objects, ``DESCRIBED_BY_COLUMNS``), the columns ``subcluster`` (:func:`subcluster_name`; None for unlabelled
    objects) and ``subcluster_prob``, and per class how it was split: ``basis`` (COLUMNS or ``space``), the number
    of sub-clusters and, for columns, which and their separations."""
    names = np.full(len(labels), None, dtype=object)
    strength = np.zeros(len(labels), dtype=np.float32)
    choice: dict[str, dict] = {}
    known = pd.notna(labels)
    for cls in sorted({str(c) for c in labels[known]}):
        rows = np.flatnonzero(known & (labels.astype(str) == cls))
        modes = None if columns is None else column_modes(columns.iloc[rows])
        if modes is not None:
            found = modes.groups
            choice[cls] = {
                "basis": COLUMNS,
                "columns": list(modes.columns),
                "separation": list(modes.separation),
                "n_subclusters": modes.n_groups,
            }
        else:
            found = subcluster_map(points[rows]).groups
            choice[cls] = {"basis": space, "n_subclusters": found.n_groups}
        names[rows] = [subcluster_name(cls, max(k, 0)) for k in found.labels.tolist()]
        strength[rows] = found.probabilities
    return pd.DataFrame({"subcluster": names, "subcluster_prob": strength}), choice
