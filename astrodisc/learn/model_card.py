"""The model card written beside shipped weights: what made them, on what, how long, how good."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from astrodisc.base.atomic import write_atomic

OBJECTIVE_NAMES = {
    "simclr": "SimCLR (NT-Xent)",
    "moco": "MoCo v2 (momentum encoder and queue)",
    "barlow": "Barlow Twins (cross-correlation to the identity)",
}
ABOUT = {
    "varstars": (
        [
            "Trimodal CLIP encoders for variable stars (light curve GRU + folded-curve CNN, spectrum 1-D CNN,",
            "metadata MLP; projection heads into one 64-d space; symmetric InfoNCE over the three pairs).",
        ],
        [
            "One CLIP step at batch 256 costs ~0.5 s on these 2 cores, dominated by the GRU and the spectrum CNN.",
            "On a GPU the same step is milliseconds: the AstroM3 Informer (8 layers over 200 steps) and the full",
            "2,575-pixel spectrum become affordable, batches of 512+ give InfoNCE more negatives, and 100+ epochs",
            "with augmentation (random crops of the light curve) fit in the time these took.",
        ],
    ),
    "galaxies": (
        [
            "Galaxy-image encoder pretrained with {objective}: a narrow ResNet (stem width {width}, blocks {blocks})",
            "over {input_px}-px g, r, z crops binned {bin_px}x{bin_px} in its stem, with rotation/flip, jitter-crop,",
            "survey noise, reddening and PSF-blur augmentations; {embed_dim}-d projection head.",
        ],
        [
            "Two augmented views of a batch of 256 cost ~0.7 s on these 2 cores, so the encoder sees 28-px inputs",
            "(0.52 arcsec pixels) and a few tens of epochs. On a GPU: full-resolution 64-px (or larger) stamps, a",
            "ResNet-50 as Hayat et al. and Stein et al. used, batches of 512-1024 (more negatives for SimCLR, a",
            "65k queue for MoCo) and hundreds of epochs, which is where their label-efficiency gains come from.",
        ],
    ),
    "galaxies-rgb8": (
        [
            "Galaxy-picture encoder pretrained with {objective}: a narrow ResNet (stem width {width}, blocks {blocks})",
            "over {input_px}-px crops of 8-bit colour pictures as the Legacy Survey, SDSS and HSC viewers save them",
            "(R, G, B = z, r, g or i, r, g; JPEG or PNG), binned {bin_px}x{bin_px} in its stem. It reads 64-px stamps",
            "framed by each galaxy's extent (`astrodisc import galaxy-folder`'s default: 1.7 x the 90 %-light",
            "diameter, resampled, never cropped), so the pixel scale and picture size need not be known. Trained on",
            "the pictures of its data (below; the shipped model's: the simulated sky on 128-px stamps drawn as viewer",
            "pictures, `astrodisc simulate viewer`, docs/galaxies.md); rotation/flip, jitter-crop and PSF-blur",
            "augmentations (8-bit pictures carry no flux noise or reddening to vary){redrawn}; {embed_dim}-d",
            "projection head.",
        ],
        [
            "As for the flux encoder: on a GPU, full-resolution stamps (no 2x2 stem binning), a ResNet-50, larger",
            "batches and hundreds of epochs; and real viewer pictures by the hundred thousand (Galaxy Zoo DECaLS)",
            "to pretrain on, which 2 cores cannot read in the time.",
        ],
    ),
    "catalog": (
        [
            "Tabular encoder for a catalogue pretrained with SCARF (Bahri et al. 2022, arXiv:2106.15147): an MLP over",
            "{n_features} standardised columns with missingness flags, {feature_dim}-d representation, {proj_dim}-d",
            "projection head; views replace a random share of features by draws from their marginals and add noise.",
        ],
        [
            "An MLP over a few tens of columns is cheap on CPU; a GPU would allow wider and deeper encoders",
            "(or a transformer over columns) and batches of thousands, giving InfoNCE more negatives.",
        ],
    ),
}


def write_model_card(model_dir: Path, command: str, extra_metrics: dict | None = None) -> None:
    """MODEL_CARD.md from the model's config.json (training settings, history, wall time)."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    training = config["training"]
    weights_mb = (Path(model_dir) / "weights.pt").stat().st_size / 1e6
    pictures = config["kind"] == "galaxies" and config.get("pixel_unit") == "rgb8"
    about, gpu = ABOUT["galaxies-rgb8" if pictures else config["kind"]]
    if config["kind"] == "galaxies":
        redraw = config.get("augment", {}).get("redraw", 0.0)
        redrawn = ""
        if redraw:
            redrawn = f"; in their stead each view is drawn again\nin another black level and stretch (redraw {redraw})"
        about = [
            line.format(objective=OBJECTIVE_NAMES[config["objective"]], redrawn=redrawn, **config["encoder"])
            for line in about
        ]
    if config["kind"] == "catalog":
        about = [line.format(**config["encoder"]) for line in about]
    lines = [
        f"# {Path(model_dir).name}",
        "",
        *about,
        "",
        f"- made by: `{command}`",
        f"- data: `{training['dataset']}` ({training['n_objects']} objects; labels unused)" + _paired(training),
        f"- seed: {training['train']['seed']}, batch {training['train']['batch_size']}, lr {training['train']['lr']}",
        f"- epochs run: {len(training['history'])} (best {training['best_epoch']}, early-stopping patience "
        f"{training['train']['patience']})",
        f"- wall time: {training['train_seconds'] / 60:.1f} min on {platform.machine()} CPU (2 cores)"
        + (", the backbone in bfloat16" if training.get("bf16") else ""),
        f"- validation loss: {training.get('val_clip_loss', training.get('val_loss')):.4f}",
        f"- weights: weights.pt, {weights_mb:.1f} MB, load with torch.load(weights_only=True)",
        *([f"- the map and search read: {config['representation']['reason']}"] if "representation" in config else []),
        "",
        "## What a GPU would change",
        *gpu,
    ]
    lines += _arc_finder_lines(Path(model_dir))
    if extra_metrics:
        lines += ["", "## Evaluation", "```json", json.dumps(extra_metrics, indent=2, ensure_ascii=False), "```"]
    write_atomic(Path(model_dir) / "MODEL_CARD.md", lambda p: p.write_text("\n".join(lines) + "\n"))


def _paired(training: dict) -> str:
    """What the data line adds when each positive pair took its views from two renderings of the same objects."""
    others = ", ".join(f"`{name}`" for name in training.get("paired_with", ()))
    if not others:
        return ""
    return f"; each positive pair takes its two views from two renderings of an object: it and {others}"


def _arc_finder_lines(model_dir: Path) -> list[str]:
    """The model card's section on the arc finder in ``model_dir / "arcs"`` (``learn.arc_finder``), if any."""
    path = model_dir / "arcs" / "config.json"
    if not path.is_file():
        return []
    config = json.loads(path.read_text())
    finder, training = config["finder"], config["training"]
    weights_mb = (path.parent / "weights.pt").stat().st_size / 1e6
    return [
        "",
        "## Arc finder (arcs/)",
        f"A small CNN reading the central {finder['crop_px']} px of each g, r, z flux cutout at full resolution (no",
        "binning): the host's light nulled by its core colour in noise units, and the r band. Taught to tell each",
        "galaxy from itself with a lensed arc pasted in (SIS + shear, exponential source, Einstein radius",
        f"{finder['theta_e_arcsec'][0]}-{finder['theta_e_arcsec'][1]} arcsec, arc S/N {finder['arc_snr'][0]:g}-"
        f"{finder['arc_snr'][1]:g}, through each galaxy's Moffat PSF); no label of any survey is used. Reads 3-band",
        "flux cutouts whose catalogue gives psf_fwhm_<band> and sky_sigma_<band>; a build then adds the `arcs`",
        "space, the `arc_probability` column and `lens_score`, that probability times the red-sequence probability",
        "of the catalogue's colours (`data.red_sequence`). Not for 8-bit pictures (no noise model, no PSF).",
        "",
        f"- made by: `{training['made_by']}`",
        f"- data: `{training['dataset']}` ({training['n_objects']} galaxies as hosts; labels unused)",
        f"- steps: {training['steps']} of {finder['batch_size']} cutouts, half with an arc; loss "
        f"{training['loss_first']:.3f} (first 100) -> {training['loss_last']:.3f} (last 100)",
        f"- wall time: {training['seconds'] / 60:.1f} min on {platform.machine()} CPU (2 cores)",
        f"- weights: arcs/weights.pt, {weights_mb:.2f} MB, load with torch.load(weights_only=True)",
        "- on a GPU: real survey hosts by the hundred thousand, a deeper network over the whole stamp and",
        "  arcs from ray-traced sources with substructure, as the DESI and HSC lens searches train theirs.",
    ]
