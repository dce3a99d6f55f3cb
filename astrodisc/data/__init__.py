"""What the objects are: a dataset store per kind (variable stars, galaxies, catalogues), the hidden truth of
simulated ones, sky positions, and measurements read off the data itself (periods, light-curve features)."""
