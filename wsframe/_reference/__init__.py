"""Pure-Python reference implementation: the executable specification."""
