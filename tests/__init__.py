"""The spa-gym test suite (a package, so that ``tests.*`` imports resolve here, not to a third-party top-level
``tests`` package such as the one pyserini 0.17.0 installs)."""
