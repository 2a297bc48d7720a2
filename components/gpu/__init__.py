"""GPU node pools: DCGM exporter DaemonSets and their monitors."""
