"""The structure probe: bars, rings, arm number and tidal debris told from features, read back as the Model page
shows them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from astrodisc.eval.galaxy_structure import structure_section
from astrodisc.eval.result import evaluation_json, parse_structure
from astrodisc.eval.summary import structure_table


def _truth(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.choice(["spiral", "elliptical", "merger", "edge_on"], n, p=[0.5, 0.3, 0.1, 0.1])
    disc = np.isin(label, ["spiral", "edge_on"])
    tidal = np.where(label == "merger", "tails", np.where(rng.random(n) < 0.1, "shells", "none"))
    return pd.DataFrame(
        {
            "label": label,
            "anomaly": "none",
            "bar": disc & (rng.random(n) < 0.35),
            "inner_ring": disc & (rng.random(n) < 0.2),
            "outer_ring": disc & (rng.random(n) < 0.1),
            "arm_count": np.where(disc, rng.choice([2, 3, 4], n), 0),
            "tidal": tidal,
        }
    )


def test_features_that_hold_a_structure_tell_it_and_noise_does_not():
    truth = _truth()
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(len(truth), 4))
    oracle = (
        np.column_stack(
            [truth[c].to_numpy(float) for c in ("bar", "inner_ring", "outer_ring", "arm_count")]
            + [(truth["tidal"] != "none").to_numpy(float)]
        )
        + 0.1 * noise[:, :1]
    )
    section = structure_section({"oracle": oracle, "noise": noise}, truth)
    assert set(section) == {"bar", "inner_ring", "outer_ring", "arm_count", "tidal"}
    for name in ("bar", "inner_ring", "outer_ring", "tidal"):
        assert section[name]["oracle"].metrics["auc"].mean > 0.95
        assert abs(section[name]["noise"].metrics["auc"].mean - 0.5) < 0.12
    arms = section["arm_count"]
    assert arms["oracle"].metrics["accuracy"].mean > 0.9 > arms["majority"] + 0.3
    spirals = (truth["label"] == "spiral").sum()
    assert (
        section["bar"]["n"] == spirals
        and section["bar"]["counts"]["present"] == truth["bar"][truth["label"] == "spiral"].sum()
    )
    undisturbed = truth["label"].isin(["elliptical", "spiral", "edge_on"]).sum()
    assert section["tidal"]["n"] == undisturbed  # mergers' tails are their label, not debris to find


def test_a_structure_too_rare_to_fold_is_left_out_and_the_section_reads_back():
    truth = _truth()
    truth["outer_ring"] = False
    truth.loc[truth.index[truth["label"] == "spiral"][:3], "outer_ring"] = True  # 3 < 5 folds
    section = structure_section({"embedding": np.random.default_rng(2).normal(size=(len(truth), 3))}, truth)
    assert "outer_ring" not in section
    document = evaluation_json({"morphology": {}, "structure": section})
    scores = parse_structure(document)
    assert {s.structure for s in scores} == {"bar", "inner_ring", "arm_count", "tidal"}
    assert {s.metric for s in scores if s.structure == "arm_count"} == {"accuracy"}
    table = structure_table(document).set_index("structure")
    assert table.loc["bar", "metric"] == "AUC" and table.loc["arm_count", "metric"].startswith("accuracy (majority")
    assert table.loc["bar", "embedding"].count("±") == 1
    assert table.loc["bar", "present"] == section["bar"]["counts"]["present"]
    assert table.loc["arm_count", "present"] is pd.NA  # no one answer is "present" among arm counts
    pa.Table.from_pandas(table)  # one type per column, as the Model page's table needs
