"""Real data in: importers per kind and format, the AstroM3 layout, a user's uploads, precomputed embeddings."""
