"""Weights learned from data (eval/fit_weights.py writes them), kept in `fitted.json`.

Every weight that combines signals (sentence scoring, the aspect boost in search, the
abstention decision) is fitted on the gold set's dev split and the calibration questions,
never on the test split; the file records what it was fitted on and with which command.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from s1assist.errors import ConfigError

FITTED = Path(__file__).with_name("fitted.json")


@dataclass(frozen=True, slots=True)
class Linear:
    """A logistic model: sigmoid(bias + sum of weight x feature), features by name."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float


@dataclass(frozen=True, slots=True)
class Fitted:
    sentence: Linear
    """Does a candidate sentence answer the question?"""
    answerable: Linear
    """Do the sources answer the question at all?"""
    answerable_below: float
    """Abstain when the answerable model's probability is below this."""
    aspect_heading: float
    """Search: added to a passage's fused score when its heading addresses the aspect."""
    aspect_text: float
    """Search: added when its text does."""
    aspect_broader: float
    """Search: added when its heading names only the broader aspect ("Treatment")."""
    best_sentence: float
    """Search: times the standardized similarity of its sentence nearest the query."""


def _linear(row: Any, where: str, path: Path) -> Linear:
    try:
        features = tuple(str(f) for f in row["features"])
        weights = tuple(float(w) for w in row["weights"])
        bias = float(row["bias"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {where}: {exc!r}; rerun eval/fit_weights.py") from None
    if len(features) != len(weights):
        raise ConfigError(f"{path}: {where}: {len(features)} features, {len(weights)} weights")
    return Linear(features, weights, bias)


@lru_cache(maxsize=4)
def load_fitted(path: Path = FITTED) -> Fitted:
    """The fitted weights; `ConfigError` names the file and the field that is wrong."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
        return Fitted(
            sentence=_linear(row["sentence"], "sentence", path),
            answerable=_linear(row["answerable"], "answerable", path),
            answerable_below=float(row["answerable"]["threshold"]),
            aspect_heading=float(row["search"]["aspect_heading"]),
            aspect_text=float(row["search"]["aspect_text"]),
            aspect_broader=float(row["search"]["aspect_broader"]),
            best_sentence=float(row["search"]["best_sentence"]),
        )
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read fitted weights ({exc!r})") from None
