"""The "already current" fast path: a file whose header shows it came from this very spec,
command, tool versions and black settings, and was not edited since, is current without
generating anything (no torch import)."""

from __future__ import annotations

from pathlib import Path

from ..codegen.provenance import command_for, sha256, versions
from ..options import Options
from ..output.sync import current_without_generating
from .plan import Job


class FastPath:
    """One run's fast path; it remembers the version line per black settings (reading the
    packages' metadata takes ~5 ms a time) for as long as the run lasts."""

    def __init__(self):
        self._versions: dict[str, str] = {}

    def current(self, job: Job, existing: str | None, options: Options) -> bool:
        if existing is None or job.spec == "-" or job.output == "-":
            return False
        try:
            spec_sha = sha256(Path(job.spec).read_bytes())  # the bytes, as load hashes them
        except OSError:
            return False  # the full run says what is wrong
        command = command_for(job.spec, job.output, job.class_name, options.imports, options.params)
        return current_without_generating(existing, spec_sha, self.version(options), command)

    def version(self, options: Options) -> str:
        from ..codegen.black_settings import describe

        key = describe(options.mode)
        if key not in self._versions:
            self._versions[key] = versions(options.mode)
        return self._versions[key]
