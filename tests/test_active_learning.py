"""The interest model learns from interest scores; the simulated hunt finds more when it re-ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from astrodisc.discover.active_learning import (
    PREDICTED_CLASS,
    HuntFeatures,
    InterestModel,
    anomaly_rank,
    hunt_features,
    likeness,
    likeness_blocks,
    likeness_features,
    more_like,
    reasons,
    relevance,
    simulate_user,
)


def _sky(seed: int = 0) -> tuple[HuntFeatures, np.ndarray, np.ndarray]:
    """1,000 objects: a 16-D embedding with 30 interesting objects in one tight clump whose anomaly scores are
    middling except for 3 (what a density score misses), 60 dull outliers with the highest anomaly scores, and a
    second space of pure noise."""
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
    features = HuntFeatures.of({"embedding": x, "noise": rng.normal(size=(1000, 8))})
    return features, anomaly, interesting


def test_with_nothing_of_interest_scored_the_ranking_is_the_anomaly_score():
    features, anomaly, _ = _sky()
    none = np.array([], int)
    np.testing.assert_allclose(relevance(features, anomaly, none, np.array([])), anomaly_rank(anomaly))
    dull = relevance(features, anomaly, np.array([40, 41]), np.array([0, 0]))
    np.testing.assert_allclose(dull, anomaly_rank(anomaly))
    liked = relevance(features, anomaly, np.array([0]), np.array([5]))  # no dull score yet: the survey stands in
    assert np.median(liked[1:30]) > np.quantile(liked[90:], 0.95)
    assert anomaly_rank(np.array([3.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.5]


def test_interest_rises_the_liked_objects_kind_and_dullness_pushes_its_kind_down():
    features, anomaly, _ = _sky()
    before = relevance(features, anomaly, np.array([], int), np.array([]))
    after = relevance(features, anomaly, np.array([0, 30, 31]), np.array([5, 0, 0]))
    ahead = (after[1:30, None] > after[None, 90:]).mean()  # the clump, ahead of the ordinary objects
    assert ahead > 0.95 > 0.75 > (before[1:30, None] > before[None, 90:]).mean()
    assert np.median(after[32:90]) < np.median(before[32:90])  # the dull outliers sink


def test_a_middling_score_counts_part_way():
    features, anomaly, _ = _sky()
    strong = InterestModel(features)
    strong.update(np.array([0, 1, 30, 31]), np.array([5, 5, 0, 0]))
    middling = InterestModel(features)
    middling.update(np.array([0, 1, 30, 31]), np.array([3, 3, 0, 0]))
    assert strong.predicted is not None and middling.predicted is not None
    assert np.median(middling.predicted[2:30]) < np.median(strong.predicted[2:30])
    assert np.median(middling.predicted[2:30]) > np.median(middling.predicted[90:])


def test_the_kept_model_equals_a_model_fitted_afresh_and_follows_an_undo():
    features, anomaly, _ = _sky()
    model = InterestModel(features)
    rng = np.random.default_rng(3)
    scored: dict[int, int] = {}
    for _ in range(12):
        row = int(rng.integers(100))
        if row in scored and rng.random() < 0.3:
            del scored[row]  # an undo
        else:
            scored[row] = int(rng.integers(6))
        rows, interest = np.array(list(scored), int), np.array(list(scored.values()), float)
        model.update(rows, interest)
        np.testing.assert_allclose(model.relevance(anomaly), relevance(features, anomaly, rows, interest), atol=1e-9)


def test_standardised_columns_are_the_same_one_row_at_a_time_and_for_every_row():
    features, _, _ = _sky()
    coef = np.random.default_rng(2).normal(size=features.width)
    rows = np.arange(len(features))
    np.testing.assert_allclose(features.linear(coef, 0.5), features.rows(rows) @ coef + 0.5, atol=1e-4)  # float32
    np.testing.assert_allclose(features.rows(rows).mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(features.rows(rows).std(axis=0), 1.0, atol=1e-6)


def test_the_features_hold_every_space_the_anomaly_ranks_and_the_data_quality_columns():
    rng = np.random.default_rng(0)
    catalog = pd.DataFrame(
        {
            "anomaly_a": rng.random(50),
            "anomaly_b": rng.random(50),
            "blank_fraction": np.r_[np.nan, rng.random(49)],
            "streak_fraction": np.nan,  # a single-band survey: nothing measured, no column
        }
    )
    features = hunt_features({"b": rng.normal(size=(50, 3)), "a": rng.normal(size=(50, 4))}, catalog)
    assert features.names == ("embedding a", "embedding b", "anomaly ranks", "data quality")
    assert features.width == 4 + 3 + 2 + 1
    assert np.isfinite(features.rows(np.arange(50))).all()  # the missing value stands at the mean


def test_the_reasons_name_the_rank_the_prediction_and_the_nearest_scored_object():
    features, anomaly, _ = _sky()
    model = InterestModel(features)
    model.update(np.array([0, 30]), np.array([5, 0]))
    names = pd.Series([f"OBJ-{i}" for i in range(1000)])
    embedding = features.blocks[0]
    text = reasons(np.array([5, 40]), anomaly, model, embedding, names)
    rank_5 = int((anomaly > anomaly[5]).sum()) + 1
    assert text[0].startswith(f"anomaly rank {rank_5:,}; predicted interest ")
    assert text[0].endswith("near OBJ-0, which you scored 5")  # object 5 sits in object 0's clump


def test_the_simulated_user_finds_more_when_the_queue_learns():
    features, anomaly, interesting = _sky()
    result = simulate_user(features, anomaly, interesting, budget=100)
    assert result.found_without <= 5  # the anomaly ranking alone: the three among the outliers, and chance
    assert result.found_with_retraining >= 25 and result.gain is not None and result.gain >= 5
    assert result.n_interesting == 30 and result.reviewed == 100


def test_tied_scores_share_a_rank_so_the_learning_queue_starts_as_the_anomaly_queue():
    assert anomaly_rank(np.array([1.0, 2.0, 2.0, np.nan])).tolist() == [1 / 3, 2.5 / 3, 2.5 / 3, 0.0]


def test_more_like_these_ranks_the_clump_first_and_learns_from_what_it_is_not_like():
    features, _, interesting = _sky()
    score = more_like(features, [0, 1, 2])
    top = np.argsort(-score)[:30]
    assert interesting[top].mean() >= 0.7  # most of the 27 other clump members among the first 30
    far = np.argsort(features.blocks[0] @ features.blocks[0][0])[:5]
    unlike = more_like(features, [0, 1, 2], far)  # the "not like these" sink below most of the survey
    assert unlike[far].max() < np.quantile(unlike, 0.2) and interesting[np.argsort(-unlike)[:30]].mean() >= 0.7
    with pytest.raises(ValueError, match="at least one"):
        more_like(features, [])


def test_more_like_these_reads_the_one_space_that_sees_the_kind_when_the_others_drown_it():
    """Five examples of a kind that only a small space separates (as lenses in the arc finder's space), beside
    a wide space where the kind looks like everything else: the examples, each left out in turn, choose the
    small space, and the ranking finds far more of the kind than every space together does."""
    rng = np.random.default_rng(3)
    members = np.zeros(4000, bool)
    members[:60] = True
    wide = rng.normal(size=(4000, 128))
    small = rng.normal(size=(4000, 4))
    small[:60] += 2.0
    features = HuntFeatures.of({"embedding image": wide, "embedding arcs": small})
    examples = np.arange(5)
    assert likeness_blocks(features, examples, np.array([], int)) == ("embedding arcs",)

    def found(score: np.ndarray) -> float:
        order = np.argsort(-score)
        return float(members[order[~np.isin(order, examples)][:50]].mean())

    chosen, together = found(more_like(features, examples)), found(likeness(features, examples, np.array([], int)))
    assert chosen >= 0.8 and chosen > together + 0.3
    assert likeness_blocks(features, examples[:2], np.array([], int)) == features.names  # too few to choose


def test_likeness_features_add_the_predicted_class_as_one_column_per_class():
    hunt = HuntFeatures.of({"embedding image": np.eye(4)})
    catalog = pd.DataFrame({"pred_label": ["spiral", "elliptical", None, "spiral"]})
    features = likeness_features(hunt, catalog)
    assert features.names == ("embedding image", PREDICTED_CLASS)
    assert features.blocks[1].tolist() == [[0, 1], [1, 0], [0, 0], [0, 1]]  # elliptical, spiral; none: all 0
    assert likeness_features(hunt, catalog.assign(pred_label="spiral")) is hunt  # one class says nothing
    assert likeness_features(hunt, pd.DataFrame(index=range(4))) is hunt
    assert likeness_features(hunt, pd.DataFrame({"pred_label": [np.nan] * 4})) is hunt  # nothing predicted


def test_more_like_these_reads_a_score_beside_the_predicted_class_when_the_kind_stands_out_only_within_its_class():
    """Lenses, as the arc finder sees them: 60 members of the elliptical class whose one-column score stands
    above the other ellipticals' but not above the spirals' (which the score finds arc-like too), beside a wide
    space of noise. The examples, left out in turn, choose the score with the class, and the first 50 hold
    members, where the score alone and every block together find few."""
    rng = np.random.default_rng(5)
    n, n_members = 4000, 60
    elliptical = np.arange(n) < 1300
    members = np.arange(n) < n_members
    score = np.where(elliptical, rng.normal(-1.0, 0.5, n), rng.normal(0.3, 0.5, n))
    score[members] = rng.normal(1.0, 0.4, n_members)
    hunt = HuntFeatures.of({"embedding image": rng.normal(size=(n, 128)), "arc finder": score[:, None]})
    features = likeness_features(hunt, pd.DataFrame({"pred_label": np.where(elliptical, "elliptical", "spiral")}))
    examples = np.arange(5)
    assert likeness_blocks(features, examples, np.array([], int)) == ("arc finder", PREDICTED_CLASS)

    def found(score: np.ndarray) -> float:
        order = np.argsort(-score)
        return float(members[order[~np.isin(order, examples)][:50]].mean())

    alone = found(likeness(features.only(("arc finder",)), examples, np.array([], int)))
    together = found(likeness(features, examples, np.array([], int)))
    assert found(more_like(features, examples)) >= 0.8 and alone < 0.5 and together < 0.5
