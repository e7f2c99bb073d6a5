"""The base class of errors in what a user gave (files, options, conversations), which the CLI reports as one line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: the message names the file, row or option and field; the CLI prints it without a traceback."""
