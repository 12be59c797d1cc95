"""Evaluation: datasets, scorers, batch runs and comparisons against baselines."""
