"""Simulated surveys with hidden ground truth, one module per kind, and the physics they draw from."""
