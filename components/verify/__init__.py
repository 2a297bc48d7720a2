"""infermon verify: the rendered stack against a real Prometheus and simulated servers."""
