"""The command line over the Python API: parser, commands, report, config.

``torcharc-gen`` commands: ``generate`` (the default: ``torcharc-gen SPEC -o OUT.py``),
``summary``, ``graph``, ``schema``, ``resolve``, ``space`` and ``help``; exit codes in report.py.
"""

from .entry import main

__all__ = ["main"]
