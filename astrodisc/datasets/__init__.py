"""Datasets: the on-disk store shared by simulators and importers, simulators, importers."""
