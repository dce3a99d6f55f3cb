"""What the sub-clusters of one class look like, and a sub-cluster as a new named label.

The members of one class are sub-clustered without labels (:func:`astrodisc.chain.clusters.subcluster_map`: the
criterion of :mod:`astrodisc.chain.clusters` in the build's layout, or in their own layout of another space); this
module describes each sub-cluster so an astronomer can tell whether it is a subtype (on the variable-star demo:
O-rich and C-rich Miras, active dwarfs and giants among the ROT stars), and merges sub-clusters on request:

- :func:`median_folded_curve`: each member's light curve folded on its period with phase 0 at maximum light,
  binned in phase and scaled by its own amplitude, then the median and the 16-84 % band over the members;
- :func:`mean_spectrum`: the mean of the members' median-normalised spectra, members without a spectrum skipped;
- :func:`distributions`: the colours (J-K, BP-RP, W1-W2, g-r, ...) and redshift a catalogue holds, to compare
  the sub-clusters' distributions;
- :func:`what_sets_apart`: the catalogue columns in which a sub-cluster differs most from the rest of its class,
  in plain words ("j_k +0.80", "period ×1.4");
- :func:`merge_subclusters`: two or more sub-clusters as one;
- :func:`subcluster_labels`: one :class:`~astrodisc.labels.database.Label` per member, to save a sub-cluster as a class.

Example::

    rows = class_rows(catalog, "M")
    found = subcluster_map(artifacts.cluster_layout[rows])
    for group in subclusters_of(found, rows):
        profile = median_folded_curve([lightcurve(r) for r in group.rows], periods[group.rows])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from astrodisc.data.period_search import MIN_POINTS, fold
from astrodisc.data.store import ANOMALY_RANK_PREFIX, CATALOG_ADDED_COLUMNS
from astrodisc.data.varstars import LightCurve
from astrodisc.errors import UserError
from astrodisc.labels.database import Label
from astrodisc.learn.columns import heavy_tailed

N_PHASE_BINS = 25
BAND_QUANTILES = (0.16, 0.84)  # the band drawn around a median: +-1 sigma of a normal distribution
MIN_COVERED_BINS = 0.5  # share of the phase bins a member's folded curve must reach to enter the median
MAX_LABEL_NAME = 64  # characters
COLOUR_COLUMNS: dict[str, str] = {
    "j_k": "J−K [mag]",
    "bp_rp": "BP−RP [mag]",
    "w1_w2": "W1−W2 [mag]",
    "w3_w4": "W3−W4 [mag]",
}
OTHER_DISTRIBUTIONS: dict[str, str] = {"z_spec": "spectroscopic redshift z"}
if TYPE_CHECKING:
    from astrodisc.chain.clusters import SubclusterMap  # imports hdbscan (a second): only the pages that cluster

NOISE = "noise"
NOT_DESCRIPTIVE = {"ra", "dec", "l", "b", *CATALOG_ADDED_COLUMNS}  # where an object is, or what the build added
MIN_GROUP = 3  # finite values a column needs inside and outside a sub-cluster to compare them


@dataclass(frozen=True)
class Difference:
    """How a sub-cluster differs from the rest of its class in one catalogue column."""

    column: str
    effect: float  # (median inside - median outside) / the class's robust spread (1.4826 MAD), on the log scale
    # for positive heavy-tailed columns (:func:`astrodisc.learn.columns.heavy_tailed`)
    text: str  # "j_k +0.80" (a difference of medians, the column's units) or "period ×1.4" (a ratio of medians)


@dataclass(frozen=True)
class FoldedProfile:
    """The median folded light curve of a group of variable stars."""

    phase: np.ndarray  # (B,) phase-bin centres in [0, 1); phase 0 = maximum light
    median: np.ndarray  # (B,) median normalised magnitude: 0 = a member's brightest bin, 1 = its faintest
    low: np.ndarray  # (B,) 16th percentile over the members (NaN where no member reaches the bin)
    high: np.ndarray  # (B,) 84th percentile over the members
    n_used: int  # members in the median
    n_skipped: int  # members without a period, with too few epochs, or a flat or too sparse folded curve


@dataclass(frozen=True)
class SpectrumProfile:
    """The mean spectrum of a group of objects."""

    wavelength: np.ndarray  # (P,) [Angstrom]
    mean: np.ndarray  # (P,) mean of the members' spectra, each divided by its median flux (so ~1 on the continuum)
    spread: np.ndarray  # (P,) standard deviation over the members, same units
    n_used: int  # members with a spectrum
    n_skipped: int  # members without one


@dataclass(frozen=True)
class Subcluster:
    """One sub-cluster of a class."""

    number: int  # its HDBSCAN label (0, 1, ...)
    rows: np.ndarray  # (m,) int64 catalogue rows of its members, the most typical (highest membership) first

    @property
    def name(self) -> str:
        return f"sub-cluster {self.number}"

    @property
    def size(self) -> int:
        return len(self.rows)


def class_sizes(catalog: pd.DataFrame) -> pd.Series:
    """Members per catalogue class (the ``label`` column, unlabelled objects left out), largest first."""
    return catalog["label"].dropna().astype(str).value_counts(sort=True)


def class_rows(catalog: pd.DataFrame, cls: str) -> np.ndarray:
    """(n,) int64 catalogue rows (positions) of the members of class ``cls``."""
    return np.flatnonzero(catalog["label"].astype("string").eq(cls).fillna(False).to_numpy(dtype=bool))


def subclusters_of(found: SubclusterMap, rows: np.ndarray) -> list[Subcluster]:
    """The sub-clusters of ``found`` (computed on the class members at catalogue ``rows`` (n,)), by number;
    noise is no sub-cluster."""
    order = np.argsort(-found.probabilities, kind="stable")  # most typical first
    return [
        Subcluster(k, np.asarray(rows)[order[found.labels[order] == k]].astype(np.int64))
        for k in range(found.n_clusters)
    ]


def merge_subclusters(found: SubclusterMap, numbers: Sequence[int]) -> SubclusterMap:
    """``found`` with the sub-clusters ``numbers`` made one (numbered as the lowest of them; the others renumbered
    in order, so numbers stay 0..K-1); its persistence is the lowest of theirs. Fewer than two numbers: unchanged."""
    from astrodisc.chain.clusters import Groups, SubclusterMap  # noqa: PLC0415 - hdbscan: only when merging

    merged = sorted({int(k) for k in numbers if 0 <= int(k) < found.n_clusters})
    if len(merged) < 2:
        return found
    target = merged[0]
    renumber: dict[int, int] = {}
    for k in range(found.n_clusters):
        if k in merged[1:]:
            continue
        renumber[k] = len(renumber)
    mapping = np.array([renumber[target if k in merged else k] for k in range(found.n_clusters)], dtype=np.int64)
    labels = np.where(found.labels >= 0, mapping[np.maximum(found.labels, 0)], found.labels)
    persistence = [0.0] * len(renumber)
    for k, p in enumerate(found.groups.persistence):
        new = int(mapping[k])
        persistence[new] = p if k not in merged else min(found.groups.persistence[m] for m in merged)
    groups = Groups(
        labels, found.probabilities, tuple(persistence), found.groups.min_cluster_size, found.groups.validity
    )
    return SubclusterMap(found.xy, found.layout, groups)


def group_names(found: SubclusterMap) -> np.ndarray:
    """(n,) display name of each member's group: "sub-cluster k", or "noise"."""
    return np.array([NOISE if k < 0 else f"sub-cluster {k}" for k in found.labels.tolist()], dtype=object)


def aligned_phase(time: np.ndarray, mag: np.ndarray, period: float) -> np.ndarray:
    """(N,) phase in [0, 1) of each epoch folded on ``period`` [days], with phase 0 at maximum light of the
    sinusoid fitted at that period (least squares), a steadier anchor than the single brightest epoch."""
    phase = fold(time, period)
    angle = 2.0 * np.pi * phase
    design = np.column_stack([np.ones_like(angle), np.cos(angle), np.sin(angle)])
    _, cos_term, sin_term = np.linalg.lstsq(design, np.asarray(mag, dtype=float), rcond=None)[0]
    faintest = np.arctan2(sin_term, cos_term) / (2.0 * np.pi)  # where the fitted magnitude peaks
    return np.mod(phase - faintest - 0.5, 1.0)


def binned_shape(time: np.ndarray, mag: np.ndarray, period: float, n_bins: int = N_PHASE_BINS) -> np.ndarray | None:
    """(n_bins,) one light curve's shape: the median magnitude in each bin of :func:`aligned_phase`, scaled to
    0 (brightest bin) .. 1 (faintest bin), NaN in empty bins. None when the curve covers fewer than
    ``MIN_COVERED_BINS`` of the bins or is flat."""
    time, mag = np.asarray(time, dtype=float), np.asarray(mag, dtype=float)
    keep = np.isfinite(time) & np.isfinite(mag)
    if keep.sum() < MIN_POINTS:
        return None
    time, mag = time[keep], mag[keep]
    bins = np.minimum((aligned_phase(time, mag, period) * n_bins).astype(int), n_bins - 1)
    binned = np.full(n_bins, np.nan)
    for b in np.unique(bins):
        binned[b] = np.median(mag[bins == b])
    covered = np.isfinite(binned)
    brightest, faintest = np.nanmin(binned), np.nanmax(binned)
    if covered.mean() < MIN_COVERED_BINS or not faintest > brightest:
        return None
    return (binned - brightest) / (faintest - brightest)


def median_folded_curve(
    lightcurves: Sequence[LightCurve], periods: Sequence[float | None], n_bins: int = N_PHASE_BINS
) -> FoldedProfile | None:
    """The median folded light curve of a group: ``lightcurves`` (one band each) and their ``periods`` [days]
    (None or non-positive: the member is skipped). Each member is reduced to its :func:`binned_shape` (phase 0 =
    maximum light, magnitudes scaled by its own amplitude); the profile is the median over the members per
    phase bin with the ``BAND_QUANTILES`` band. None when no member gives a shape."""
    shapes = []
    for lc, period in zip(lightcurves, periods, strict=True):
        if period is not None and np.isfinite(period) and period > 0:
            shape = binned_shape(lc.time, lc.mag, float(period), n_bins)
            if shape is not None:
                shapes.append(shape)
    if not shapes:
        return None
    stack = np.stack(shapes)
    with warnings.catch_warnings():  # a bin no member reaches stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(stack, axis=0)
        low, high = np.nanquantile(stack, BAND_QUANTILES, axis=0)
    return FoldedProfile(
        (np.arange(n_bins) + 0.5) / n_bins, median, low, high, len(shapes), len(lightcurves) - len(shapes)
    )


def mean_spectrum(flux: np.ndarray, wavelength: np.ndarray) -> SpectrumProfile | None:
    """The mean spectrum of a group: ``flux`` (n, P) on ``wavelength`` (P,) [Angstrom], NaN rows = members without
    a spectrum (skipped, as are spectra with a non-positive median). Each spectrum is divided by its median flux
    before averaging, so bright and faint members weigh alike. None when no member has a spectrum."""
    flux = np.asarray(flux, dtype=float)
    has = np.isfinite(flux).any(axis=1)
    scale = np.full(len(flux), np.nan)
    scale[has] = np.nanmedian(flux[has], axis=1)
    used = has & (scale > 0)
    if not used.any():
        return None
    normalised = flux[used] / scale[used, None]
    with warnings.catch_warnings():  # a pixel no member covers stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, spread = np.nanmean(normalised, axis=0), np.nanstd(normalised, axis=0)
    return SpectrumProfile(
        np.asarray(wavelength, dtype=float), mean, spread, int(used.sum()), int(len(flux) - used.sum())
    )


def distributions(catalog: pd.DataFrame, bands: Sequence[str] = ()) -> dict[str, pd.Series]:
    """Axis title (with unit) -> (N,) values per catalogue row of the quantities worth comparing between
    sub-clusters: the catalogue's colour columns (``COLOUR_COLUMNS``) [mag], colours of neighbouring ``bands``
    from ``mag_<band>`` columns (galaxies: g-r, r-z) [mag], then ``OTHER_DISTRIBUTIONS`` (redshift); only those
    present."""
    out = {
        title: pd.to_numeric(catalog[column], errors="coerce")
        for column, title in COLOUR_COLUMNS.items()
        if column in catalog
    }
    measured = [b for b in bands if f"mag_{b}" in catalog]
    for blue, red in pairwise(measured):
        out[f"{blue}−{red} [mag]"] = catalog[f"mag_{blue}"] - catalog[f"mag_{red}"]
    out.update(
        {
            title: pd.to_numeric(catalog[column], errors="coerce")
            for column, title in OTHER_DISTRIBUTIONS.items()
            if column in catalog
        }
    )
    return out


def is_colour(column: str) -> bool:
    """Whether a column is a colour (``j_k``, ``bp_rp``, ``g-r``, ``w1_w2``): a difference of magnitudes, said as a
    difference even where its values happen to be positive and spread wide."""
    return column in COLOUR_COLUMNS or "-" in column or "−" in column


def what_sets_apart(catalog: pd.DataFrame, members: np.ndarray, rest: np.ndarray, top: int = 3) -> list[Difference]:
    """The ``top`` numeric catalogue columns (positions and build outputs left out) in which the rows ``members``
    differ most from the rows ``rest`` (the rest of the class), largest standardised difference of medians first.
    A positive heavy-tailed column (periods, amplitudes, fluxes; colours excepted) is compared on a log scale and
    said as a ratio."""
    found = []
    for column in catalog.columns:
        if column in NOT_DESCRIPTIVE or str(column).startswith(ANOMALY_RANK_PREFIX):
            continue
        if not pd.api.types.is_numeric_dtype(catalog[column]):
            continue
        values = pd.to_numeric(catalog[column], errors="coerce").to_numpy(dtype=float)
        inside, outside = values[members], values[rest]
        inside, outside = inside[np.isfinite(inside)], outside[np.isfinite(outside)]
        if min(len(inside), len(outside)) < MIN_GROUP:
            continue
        logged = heavy_tailed(np.concatenate([inside, outside])) and not is_colour(str(column))
        if logged:
            inside, outside = np.log10(inside), np.log10(outside)
        both = np.concatenate([inside, outside])
        spread = 1.4826 * float(np.median(np.abs(both - np.median(both))))
        if not spread > 0:
            continue
        shift = float(np.median(inside) - np.median(outside))
        text = f"{column} ×{10**shift:.2g}" if logged else f"{column} {shift:+.2g}"
        found.append(Difference(str(column), shift / spread, text))
    return sorted(found, key=lambda d: -abs(d.effect))[:top]


def check_label_name(name: str) -> str:
    """``name`` stripped, or a UserError saying why it cannot name a class (empty, too long, control characters)."""
    name = name.strip()
    if not name:
        raise UserError("give the new label a name")
    if len(name) > MAX_LABEL_NAME:
        raise UserError(f"a label name has at most {MAX_LABEL_NAME} characters, this one {len(name)}")
    if not name.isprintable():
        raise UserError("a label name cannot hold line breaks, tabs or other control characters")
    return name


def subcluster_note(cls: str, split_in: str, number: int) -> str:
    """The note each label saved from a sub-cluster carries: where it came from (``split_in``: "spectra space",
    "catalogue columns")."""
    return f"from sub-clustering: class {cls}, {split_in}, sub-cluster {number}"


def subcluster_labels(
    dataset: str,
    object_ids: Sequence[str],
    name: str,
    annotator: str,
    session: str,
    note: str,
    dataset_version: str = "",
    model_version: str = "",
) -> list[Label]:
    """One Label per member (``object_ids``) giving it the class ``name`` (checked by :func:`check_label_name`)
    by ``annotator``, with ``note`` and the dataset and model versions (``labels.manifest_versions``)."""
    name = check_label_name(name)
    if not annotator.strip():
        raise UserError("give an annotator name")
    return [
        Label(
            dataset,
            str(object_id),
            annotator.strip(),
            session,
            label=name,
            note=note,
            dataset_version=dataset_version,
            model_version=model_version,
        )
        for object_id in object_ids
    ]
