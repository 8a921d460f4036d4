"""pytest-benchmark suites: the runner's operations at small sizes, for regression tracking."""
