"""The scale benchmark's pieces on small sizes (the real sizes run in `astrodisc bench`)."""

from __future__ import annotations

import numpy as np

from astrodisc.cli import main
from astrodisc.ops.bench_scale import brute_force_top_k, search_figures


def test_brute_force_top_k_matches_a_full_sort_across_chunks():
    rng = np.random.default_rng(0)
    x, q = rng.normal(size=(1000, 8)).astype(np.float32), rng.normal(size=(5, 8)).astype(np.float32)
    found = brute_force_top_k(x, q, 7, chunk=128)
    np.testing.assert_array_equal(np.sort(found, axis=1), np.sort(np.argsort(-(q @ x.T), axis=1)[:, :7], axis=1))


def test_search_figures_of_a_small_exact_index():
    figures = search_figures(2000, dim=16)
    assert figures.index["type"] == "IndexFlatIP" and figures.recall_at_10 > 0.99
    assert 0 < figures.p50_ms <= figures.p95_ms and figures.numpy_p50_ms > 0


def test_unknown_parts_and_sizes_are_one_line_errors(capsys):
    assert main(["bench", "--parts", "search,nope"]) == 2
    assert main(["bench", "--search-sizes", "ten"]) == 2
    err = capsys.readouterr().err
    assert "unknown part(s) nope" in err and "sizes must be" in err
