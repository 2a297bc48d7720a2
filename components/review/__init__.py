"""Review tooling: offline preview diffs for pull requests."""
