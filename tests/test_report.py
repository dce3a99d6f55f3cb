from astrodisc.report import classification_markdown, confusion_markdown


def test_confusion_table_has_recall_per_row():
    md = confusion_markdown(["EW", "EB"], [[9, 1], [3, 1]])
    assert "| **EW** | 9 | 1 | 90 % |" in md and "| **EB** | 3 | 1 | 25 % |" in md


def test_classification_table_rows():
    cell = {"mean": 0.5, "std": 0.01}
    result = {"classification": {"photometry": {"1.0": {
        "pretrained_linear_probe": {"accuracy": cell}, "scratch": {"accuracy": cell},
        "pretrained_finetune": {"accuracy": {"mean": 0.6, "std": 0.0}}, "finetune_gain_points": 10.0}}}}
    md = classification_markdown(result)
    assert "| photometry | 100% | 50.0 ± 1.0 | 60.0 ± 0.0 | 50.0 ± 1.0 | +10.0 |" in md
