"""Encoders: light curve (GRU + folded-curve CNN), spectrum (1-D CNN), metadata (MLP), and the CLIP model."""
