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
:mod:`bench.memory` (memory per compressed connection), :mod:`bench.publish`;
:mod:`bench.goals` holds every speed goal (the report's verdicts and
:mod:`bench.baseline`'s before/after goals).

Measurements outside ``python -m bench``'s workloads, each runnable as a module:
``python -m bench.baseline REV`` (this checkout against an earlier commit),
``bench.hotpaths`` (per-message hot paths against other trees and the peers),
``bench.deflate_tables`` (the tables behind wsframe.deflate's defaults),
``bench.integration_receive`` and ``bench.integration_deflate`` (a peer library's
receive path with and without wsframe's integration), ``bench.uvicorn_roundtrip``
(echo round trips through uvicorn).

``bench/suites/`` holds pytest-benchmark suites of the same operations for
regression tracking (``pytest bench/suites --benchmark-only`` times them,
``--benchmark-disable`` runs each once as a correctness check);
``bench/tests/`` tests the benchmark itself (oracles, runner, report).
"""
