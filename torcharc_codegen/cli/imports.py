"""Where ``--import PKG`` finds its package: the installed packages first, then the current
directory, as ``python -m`` would, but at the end of the path, so a ``yaml.py`` or
``black.py`` lying there never takes the place of a module the tool itself imports."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable


def importable_here(imports: Iterable[str]) -> None:
    """Let the ``imports`` be found in the current directory too (when there are any)."""
    here = os.getcwd()
    if tuple(imports) and here not in sys.path and "" not in sys.path:
        sys.path.append(here)
