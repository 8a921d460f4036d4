"""Benchmarks of wsframe against the libraries people use today.

``python -m bench`` runs wsframe's compiled and pure-Python backends and every
installed peer (websockets, aiohttp, wsaccel, wsproto, autobahn, CPython's
UTF-8 decoders, simdutf) on identical inputs, checks each output against an
independent oracle, then times it. See ``python -m bench --help`` and
BENCHMARKS.md.

``bench/test_*.py`` are pytest-benchmark suites of the same operations for
regression tracking: ``pytest bench --benchmark-only`` times them and
``pytest bench --benchmark-disable`` runs each once as a correctness check.
"""
