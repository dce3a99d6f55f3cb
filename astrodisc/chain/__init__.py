"""The precompute chain: dataset + encoder -> artifact set (embeddings, indexes, maps, clusters, scores)."""
