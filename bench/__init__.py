"""Benchmark: the assistant against a bare ``rasa init`` bot under the same scripted load.

``python -m bot bench`` (see ``bench/README.md``) runs it; ``bench.run.main`` is the entry point.
"""
