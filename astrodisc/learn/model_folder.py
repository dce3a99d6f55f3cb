"""A model folder on disk: ``weights.pt`` (a state dict, loaded with ``weights_only=True``) and
``config.json`` (the kind of data, the architecture and how it was trained), for every kind of model."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch

from astrodisc.base.atomic import save_json, write_atomic
from astrodisc.errors import UserError

T = TypeVar("T")
M = TypeVar("M", bound=torch.nn.Module)  # the model class a folder builds
KIND_NAMES = {"varstars": "variable stars", "galaxies": "galaxies", "catalog": "catalogues", "arcs": "arc finding"}


def save_model_folder(out_dir: Path, model: torch.nn.Module, config: dict) -> None:
    """Write the weights and ``config`` (which names the ``kind``) atomically, weights first."""
    write_atomic(Path(out_dir) / "weights.pt", lambda p: torch.save(model.state_dict(), p))
    save_json(Path(out_dir) / "config.json", config)


def read_model_config(model_dir: Path, kind: str) -> dict:
    """config.json of a model folder made for ``kind`` data, or a UserError naming what is wrong."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file() or not (model_dir / "weights.pt").is_file():
        raise UserError(f"not a model folder (needs config.json and weights.pt): {model_dir}")
    try:
        config = json.loads((model_dir / "config.json").read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"model {model_dir.name}: config.json is not valid JSON") from None
    if not isinstance(config, dict) or config.get("kind") != kind:
        found = config.get("kind") if isinstance(config, dict) else None
        raise UserError(f"model {model_dir.name} is for {found!r} data, not {KIND_NAMES[kind]}")
    return config


def load_model_folder(model_dir: Path, kind: str, build: Callable[[dict], tuple[M, T]]) -> tuple[M, T, dict]:
    """(model with its weights, extra, config) of a model folder made for ``kind`` data: ``build(config)`` makes
    the untrained model and what else the config describes (a scaler, augmentation settings). A config.json that
    lacks or garbles a setting (KeyError, TypeError, ValueError while building) is a UserError naming the folder."""
    config = read_model_config(model_dir, kind)
    try:
        model, extra = build(config)
    except UserError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise UserError(
            f"model {Path(model_dir).name}: config.json lacks or garbles a setting ({type(err).__name__}: {err})"
        ) from None
    return load_weights(model, model_dir), extra, config


def load_weights(model: M, model_dir: Path) -> M:
    """Load ``weights.pt`` into ``model`` (a pickle posing as weights is refused, never run); eval mode."""
    model_dir = Path(model_dir)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(model_dir / "weights.pt", weights_only=True)
    except Exception:  # weights_only refuses anything but tensors and plain containers: never executed
        raise UserError(
            f"cannot load weights of {model_dir.name}: weights.pt is not a plain tensor state dict"
        ) from None
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError):
        raise UserError(
            f"cannot load weights of {model_dir.name}: they do not fit the architecture in config.json"
        ) from None
    return model.eval()
