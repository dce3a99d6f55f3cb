"""Models: the encoders, contrastive objectives, the one training loop, training per kind, batch inference."""
