"""Checks of generated code and of a family: runtime, shapes, costs."""
