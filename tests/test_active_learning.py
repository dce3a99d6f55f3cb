"""The relevance model learns from interest scores; the simulated hunt finds more when it re-ranks."""

from __future__ import annotations

import numpy as np

from astrodisc.discover.active_learning import anomaly_rank, relevance, simulate_user


def _sky(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1,000 unit vectors in 16-D; 30 interesting ones in one tight clump whose anomaly scores are middling
    except for 3 (what a density score misses), and 60 dull outliers with the highest anomaly scores."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1000, 16))
    centre = rng.normal(size=16)
    x[:30] = centre + rng.normal(0, 0.05, (30, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    anomaly = rng.uniform(0, 0.5, 1000)
    anomaly[30:90] = rng.uniform(0.8, 1.0, 60)  # dull outliers on top of the ranking
    anomaly[:3] = 0.9  # three interesting objects among them
    interesting = np.zeros(1000, bool)
    interesting[:30] = True
    return x, anomaly, interesting


def test_with_nothing_scored_the_ranking_is_the_anomaly_score():
    x, anomaly, _ = _sky()
    np.testing.assert_allclose(relevance(x, anomaly, np.array([], int), np.array([])), anomaly_rank(anomaly))
    assert anomaly_rank(np.array([3.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.5]


def test_interest_spreads_to_neighbours_and_dullness_pushes_them_down():
    x, anomaly, _ = _sky()
    before = relevance(x, anomaly, np.array([], int), np.array([]))
    liked = relevance(x, anomaly, np.array([0]), np.array([5]))
    assert np.all(liked[1:30] > before[1:30])  # the clump of the liked object rises
    assert np.median(liked[1:30]) > np.quantile(liked[90:], 0.75)  # one label: trusted at most half
    disliked = relevance(x, anomaly, np.array([0]), np.array([0]))
    assert np.all(disliked[1:30] < before[1:30])
    far = np.argsort(x @ x[0])[:100]  # objects far from the scored one keep their anomaly rank
    np.testing.assert_allclose(liked[far], before[far], atol=1e-3)


def test_the_simulated_user_finds_more_when_the_queue_retrains():
    x, anomaly, interesting = _sky()
    result = simulate_user(x, anomaly, interesting, budget=100, batch=10)
    assert result.found_without <= 5  # the anomaly ranking alone: the three among the outliers, and chance
    assert result.found_with_retraining >= 25 and result.gain >= 5
    assert result.n_interesting == 30 and result.reviewed == 100


def test_tied_scores_share_a_rank_so_the_learning_queue_starts_as_the_anomaly_queue():
    assert anomaly_rank(np.array([1.0, 2.0, 2.0, np.nan])).tolist() == [1 / 3, 2.5 / 3, 2.5 / 3, 0.0]
