"""infermon's CrossGuard policies: plain rule functions (``policies.rules``) and the pack."""
