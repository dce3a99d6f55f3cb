"""Markdown tables from an evaluation result (for the README and model cards)."""

from __future__ import annotations

import json

from astrodisc.eval.summary import ARM_TITLES


def confusion_markdown(classes: list[str], matrix: list[list[int]]) -> str:
    """Rows: true class; columns: predicted; each row also as recall [%]."""
    head = "| true \\ predicted | " + " | ".join(classes) + " | recall |"
    rule = "|" + "---|" * (len(classes) + 2)
    rows = [
        f"| **{c}** | " + " | ".join(str(v) for v in row) + f" | {100 * row[i] / max(1, sum(row)):.0f} % |"
        for i, (c, row) in enumerate(zip(classes, matrix, strict=False))
    ]
    return "\n".join([head, rule, *rows])


def _pm(cell: dict, key: str = "accuracy") -> str:
    return f"{100 * cell[key]['mean']:.1f} ± {100 * cell[key]['std']:.1f}"


def classification_markdown(result: dict) -> str:
    """Accuracy [%] mean ± std per modality and label fraction: probe, fine-tune, from scratch."""
    lines = [
        "| modality | labels | pretrained, linear probe | pretrained, fine-tuned | from scratch "
        "| gain (fine-tune − scratch) |",
        "|---|---|---|---|---|---|",
    ]
    for modality, cells in result["classification"].items():
        for frac, cell in cells.items():
            finetune = _pm(cell["pretrained_finetune"]) if "pretrained_finetune" in cell else "—"
            gain = f"{cell['finetune_gain_points']:+.1f}" if "finetune_gain_points" in cell else "—"
            lines.append(
                f"| {modality} | {float(frac):.0%} | {_pm(cell['pretrained_linear_probe'])} | {finetune} | "
                f"{_pm(cell['scratch'])} | {gain} |"
            )
    return "\n".join(lines)


def encoder_comparison_markdown(results: dict[str, dict], fractions: tuple[str, ...] = ("0.01", "0.1", "1.0")) -> str:
    """One row per galaxy encoder (name -> ``evaluate --frozen`` result): linear-probe morphology accuracy [%]
    at some label fractions, k-NN photo-z sigma_MAD and eta [%], precision@10 [%], lens AUROC, spiral ARI."""
    head = (
        ["encoder"]
        + [f"probe {float(f):.0%} labels" for f in fractions]
        + ["k-NN σ_MAD", "k-NN η", "precision@10", "lens AUROC", "spiral-subclass ARI"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results.items():
        knn = r["photo_z"]["knn"]
        cells = [_pm(r["morphology"]["probe"][f]) for f in fractions] + [
            f"{knn['sigma_mad']['mean']:.4f} ± {knn['sigma_mad']['std']:.4f}",
            _pm(knn, "eta"),
            _pm(r["similarity"], "precision_at_10"),
            f"{r['anomaly']['learned']['lens_auroc']:.2f}",
            f"{r['rediscovery']['spiral_subclasses']['ari']:.2f}",
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def galaxy_markdown(result: dict) -> str:
    """A galaxy ``evaluate`` result as README tables: morphology per label fraction (probe, fine-tune, from
    scratch) with the label-efficiency factors, and photo-z sigma_MAD / eta per arm."""
    morphology = result["morphology"]
    arms = [a for a in ("probe", "finetune", "scratch") if a in morphology]
    lines = ["| labels | " + " | ".join(ARM_TITLES[a] for a in arms) + " |", "|---|" + "---|" * len(arms)]
    for fraction in morphology["probe"]:
        cells = [_pm(morphology[a][fraction]) if fraction in morphology[a] else "—" for a in arms]
        lines.append(f"| {float(fraction):.0%} | " + " | ".join(cells) + " |")
    efficiency = morphology.get("label_efficiency")
    if efficiency:
        factors = ", ".join(
            f"{a} {efficiency[a]:.1f}×" if efficiency[a] else f"{a} never" for a in ("probe", "finetune")
        )
        lines += [
            "",
            f"Label efficiency (1 / the label fraction at which the pretrained encoder matches from "
            f"scratch with all labels, {100 * efficiency['scratch_all_labels_accuracy']:.1f} %): {factors}.",
        ]
    lines += ["", "| photo-z | σ_MAD | η (|Δz|/(1+z) > 0.05) |", "|---|---|---|"]
    for arm, cell in result["photo_z"].items():
        lines.append(
            f"| {arm} | {cell['sigma_mad']['mean']:.4f} ± {cell['sigma_mad']['std']:.4f} | {_pm(cell, 'eta')} |"
        )
    return "\n".join(lines)


def print_report(paths: list[str]) -> None:
    """One result: its tables. Several galaxy results (``name=path``): the encoder comparison
    (``astrodisc report``)."""
    if len(paths) > 1 or "=" in paths[0]:
        named = dict(p.split("=", 1) for p in paths)
        print(encoder_comparison_markdown({n: json.loads(open(p).read()) for n, p in named.items()}))
        return
    result = json.loads(open(paths[0]).read())
    if "morphology" in result:
        print(galaxy_markdown(result))
        return
    print(classification_markdown(result))
    base = result["classical_baseline"]
    print(f"\nClassical baseline: {_pm(base)} % accuracy, macro-F1 {_pm(base, 'macro_f1')} %\n")
    print(confusion_markdown(base["classes"], base["confusion_seed0"]))
