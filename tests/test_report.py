from astrodisc.eval.markdown import (
    classification_markdown,
    confusion_markdown,
    encoder_comparison_markdown,
    galaxy_markdown,
)


def test_confusion_table_has_recall_per_row():
    md = confusion_markdown(["EW", "EB"], [[9, 1], [3, 1]])
    assert "| **EW** | 9 | 1 | 90 % |" in md and "| **EB** | 3 | 1 | 25 % |" in md


def test_classification_table_rows():
    cell = {"mean": 0.5, "std": 0.01}
    result = {
        "classification": {
            "photometry": {
                "1.0": {
                    "pretrained_linear_probe": {"accuracy": cell},
                    "scratch": {"accuracy": cell},
                    "pretrained_finetune": {"accuracy": {"mean": 0.6, "std": 0.0}},
                    "finetune_gain_points": 10.0,
                }
            }
        }
    }
    md = classification_markdown(result)
    assert "| photometry | 100% | 50.0 ± 1.0 | 60.0 ± 0.0 | 50.0 ± 1.0 | +10.0 |" in md


def test_encoder_comparison_has_one_row_per_encoder():
    def cell(mean: float) -> dict:
        return {"mean": mean, "std": 0.0}

    result = {
        "morphology": {"probe": {"0.1": {"accuracy": cell(0.8)}, "1.0": {"accuracy": cell(0.9)}}},
        "photo_z": {"knn": {"sigma_mad": cell(0.03), "eta": cell(0.11)}},
        "similarity": {"precision_at_10": cell(0.7)},
        "anomaly": {"learned": {"lens_auroc": 0.44}},
        "rediscovery": {"spiral_subclasses": {"ari": 0.05}},
    }
    md = encoder_comparison_markdown({"simclr": result, "moco": result}, fractions=("0.1", "1.0"))
    lines = md.splitlines()
    assert lines[0].startswith("| encoder | probe 10% labels | probe 100% labels | k-NN σ_MAD")
    assert lines[2] == "| simclr | 80.0 ± 0.0 | 90.0 ± 0.0 | 0.0300 ± 0.0000 | 11.0 ± 0.0 | 70.0 ± 0.0 | 0.44 | 0.05 |"
    assert len(lines) == 4


def test_galaxy_tables_have_a_row_per_fraction_and_the_label_efficiency():
    def cell(mean: float) -> dict:
        return {"mean": mean, "std": 0.01}

    result = {
        "morphology": {
            "probe": {"0.1": {"accuracy": cell(0.8)}, "1.0": {"accuracy": cell(0.88)}},
            "finetune": {"0.1": {"accuracy": cell(0.85)}, "1.0": {"accuracy": cell(0.94)}},
            "scratch": {"0.1": {"accuracy": cell(0.7)}, "1.0": {"accuracy": cell(0.9)}},
            "label_efficiency": {"probe": None, "finetune": 4.2, "scratch_all_labels_accuracy": 0.9},
        },
        "photo_z": {"knn": {"sigma_mad": cell(0.031), "eta": cell(0.11)}},
    }
    md = galaxy_markdown(result)
    assert "| 10% | 80.0 ± 1.0 | 85.0 ± 1.0 | 70.0 ± 1.0 |" in md
    assert "from scratch with all labels, 90.0 %): probe never, finetune 4.2×." in md
    assert "| knn | 0.0310 ± 0.0100 | 11.0 ± 1.0 |" in md
