"""Docker hosts (``cluster.platform: docker``): the same observability without Kubernetes."""
