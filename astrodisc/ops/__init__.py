"""Measuring the running product: speed, scale and label benchmarks, the browser driver, load test, screenshots."""
