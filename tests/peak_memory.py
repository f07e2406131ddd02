"""Run a command and measure its peak resident memory from a small parent: a child's
``ru_maxrss`` counts the memory of the process it is forked (or vforked) from, and a test
process may be big by then (the whole suite's imports, models and caches)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

_MEASURE = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "p.returncode = 0\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_measured(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, int]:
    """(the finished process, stderr captured as text; its peak RSS in kB)."""
    with tempfile.TemporaryDirectory() as d:
        rss = Path(d) / "maxrss"
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(rss), *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )
        return proc, int(rss.read_text())
