"""Tests of the benchmark itself: its oracles, inputs, runner and report."""
