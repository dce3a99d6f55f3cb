"""Markdown tables from an evaluation result (for the README and model cards)."""

from __future__ import annotations

import json
import sys


def confusion_markdown(classes: list[str], matrix: list[list[int]]) -> str:
    """Rows: true class; columns: predicted; each row also as recall [%]."""
    head = "| true \\ predicted | " + " | ".join(classes) + " | recall |"
    rule = "|" + "---|" * (len(classes) + 2)
    rows = [f"| **{c}** | " + " | ".join(str(v) for v in row) + f" | {100 * row[i] / max(1, sum(row)):.0f} % |"
            for i, (c, row) in enumerate(zip(classes, matrix))]
    return "\n".join([head, rule, *rows])


def _pm(cell: dict, key: str = "accuracy") -> str:
    return f"{100 * cell[key]['mean']:.1f} ± {100 * cell[key]['std']:.1f}"


def classification_markdown(result: dict) -> str:
    """Accuracy [%] mean ± std per modality and label fraction: probe, fine-tune, from scratch."""
    lines = ["| modality | labels | pretrained, linear probe | pretrained, fine-tuned | from scratch | gain (fine-tune − scratch) |",
             "|---|---|---|---|---|---|"]
    for modality, cells in result["classification"].items():
        for frac, cell in cells.items():
            finetune = _pm(cell["pretrained_finetune"]) if "pretrained_finetune" in cell else "—"
            gain = f"{cell['finetune_gain_points']:+.1f}" if "finetune_gain_points" in cell else "—"
            lines.append(f"| {modality} | {float(frac):.0%} | {_pm(cell['pretrained_linear_probe'])} | {finetune} | "
                         f"{_pm(cell['scratch'])} | {gain} |")
    return "\n".join(lines)


def main(path: str) -> None:
    result = json.loads(open(path).read())
    print(classification_markdown(result))
    base = result["classical_baseline"]
    print(f"\nClassical baseline: {_pm(base)} % accuracy, macro-F1 {_pm(base, 'macro_f1')} %\n")
    print(confusion_markdown(base["classes"], base["confusion_seed0"]))


if __name__ == "__main__":
    main(sys.argv[1])
