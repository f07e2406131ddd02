"""Running generated code: its shapes (real, meta, symbolic) and script, trace, compile, export."""
