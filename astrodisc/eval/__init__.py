"""Evaluation on held-out labels and hidden truth, per kind; metrics, baselines, typed results, summaries."""
