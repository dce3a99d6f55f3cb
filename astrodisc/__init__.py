"""astrodisc: interactive data discovery for astronomers on self-supervised embeddings."""

__version__ = "0.1.0"
