"""Helpers shared by the test suite and the benchmark, kept out of the product (``bot/``).

Nothing here is imported by ``bot/`` or ``actions/``: a production install never needs it.
"""
