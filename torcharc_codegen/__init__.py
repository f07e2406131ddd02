"""torcharc-codegen: compile TorchArc model specs into standalone PyTorch source."""

# Loaded on first use (PEP 562): the command line reaches its signal handling before torch,
# jinja2 and black load, so a Ctrl-C during start-up is one line, not a traceback. This file
# makes no call either (Python delivers a signal at a call), so none can land in it.
_EXPORTS = {
    "__version__": "version",
    "Result": "api",
    "build": "api",
    "compile_spec": "api",
    "generate": "api",
    "load_model": "api",
    "from_module": "importer.pipeline",
    "Options": "options",
    "register_nn": "spec.classes",
    "Problem": "errors",
    "SpecError": "errors",
    "VerificationError": "errors",
    "SPEC_DIR": "resources",
}

TYPE_CHECKING = False  # not typing's: importing typing costs start-up time
if TYPE_CHECKING:
    from .api import Result, build, compile_spec, generate, load_model
    from .errors import Problem, SpecError, VerificationError
    from .importer.pipeline import from_module
    from .options import Options
    from .resources import SPEC_DIR
    from .spec.classes import register_nn
    from .version import __version__ as __version__


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Options",
    "Problem",
    "Result",
    "SPEC_DIR",
    "SpecError",
    "VerificationError",
    "build",
    "compile_spec",
    "from_module",
    "generate",
    "load_model",
    "register_nn",
]
