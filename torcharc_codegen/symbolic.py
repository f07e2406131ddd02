"""The symbolic probe's public names, from check/symbolic.py."""

from .check.symbolic import Inferred, Result, SymbolicError, probe, probe_model

__all__ = ["Inferred", "Result", "SymbolicError", "probe", "probe_model"]
