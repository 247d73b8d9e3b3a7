"""The abstention cut of `eval/fit_weights.py`: pure logic on made-up scores."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "eval" / "fit_weights.py"


def fit_weights() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_weights", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_the_cut_comes_as_close_to_both_abstention_targets_as_it_can() -> None:
    best_threshold = fit_weights().best_threshold
    # Ten answerable questions, four not; one answerable scores as low as the unanswerable.
    p = np.array([0.1, 0.2, 0.3, 0.45, 0.35, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.95, 0.97])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    cut, precision, recall = best_threshold(p, y, 0.85, 0.95)
    # Refusing below 0.45 misses one unanswerable (recall 0.75); refusing up to 0.45 takes
    # the 0.35 answerable along (precision 0.8): 0.8 / 0.85 > 0.75 / 0.95.
    assert 0.45 < cut <= 0.6
    assert (precision, recall) == (0.8, 1.0)
    # Where refusing more gains nothing, the cut stays low.
    cut, precision, recall = best_threshold(np.array([0.2, 0.8]), np.array([0, 1]), 0.85, 0.95)
    assert 0.2 < cut <= 0.5
    assert (precision, recall) == (1.0, 1.0)
