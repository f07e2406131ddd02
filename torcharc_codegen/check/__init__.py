"""Checking generated code: running it, its shapes, and script, trace, compile and export."""
