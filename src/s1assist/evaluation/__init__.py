"""Retrieval metrics and benchmark runs (BEIR) over the project's own index and retriever."""

from s1assist.evaluation.beir import BeirReport, run_beir
from s1assist.evaluation.metrics import MetricResult

__all__ = ["BeirReport", "MetricResult", "run_beir"]
