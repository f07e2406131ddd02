"""The version of torcharc-codegen (the header of every generated file names it)."""

__version__ = "0.5.0"
