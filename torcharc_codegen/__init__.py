"""torcharc-codegen: compile TorchArc model specs into standalone PyTorch source."""

__version__ = "0.1.0"

from .api import Result, build, compile_spec, generate, load_model  # noqa: E402
from .classes import register_nn  # noqa: E402
from .errors import Problem, SpecError, VerificationError  # noqa: E402
from .resources import SPEC_DIR  # noqa: E402

__all__ = [
    "Problem",
    "Result",
    "SPEC_DIR",
    "SpecError",
    "VerificationError",
    "build",
    "compile_spec",
    "generate",
    "load_model",
    "register_nn",
]
