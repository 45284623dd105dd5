"""Errors that stop start-up with one clear line instead of a traceback."""


class StartupError(Exception):
    """A configuration problem the operator must fix (bad URL, missing model, port in use)."""
