"""Benchmarks of wsframe against the libraries people use today.

``python -m bench`` runs wsframe's compiled and pure-Python backends and every
installed peer (websockets, aiohttp, wsaccel, wsproto, autobahn, CPython's
UTF-8 decoders, simdutf) on identical inputs, checks each output against an
independent oracle, then times it. See ``python -m bench --help`` and
BENCHMARKS.md.

Layout: :mod:`bench.runner` (the command), :mod:`bench.workloads` (what is
measured, at which sizes, against which oracle), :mod:`bench.inputs` (inputs and
oracles built without wsframe), :mod:`bench.peers` (one module per library
compared), :mod:`bench.timing`, :mod:`bench.result` (one figure),
:mod:`bench.report` (tables, Markdown, headline), :mod:`bench.plotting`,
:mod:`bench.memory` (memory per compressed connection), :mod:`bench.publish`.

``bench/suites/`` holds pytest-benchmark suites of the same operations for
regression tracking (``pytest bench/suites --benchmark-only`` times them,
``--benchmark-disable`` runs each once as a correctness check);
``bench/tests/`` tests the benchmark itself (oracles, runner, report).
"""
