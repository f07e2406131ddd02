"""The command's report: exit codes stated once (and in --help), the tally, the status line."""

from __future__ import annotations

import io

from torcharc_codegen.cli.parser import parser
from torcharc_codegen.cli.report import (
    BAD_INPUT,
    CANT_WRITE,
    CHECK_FAILED,
    EXIT_CODES,
    OK,
    Report,
    exit_codes_text,
)


def test_the_help_epilog_states_every_exit_code():
    text = " ".join(parser().format_help().split())
    assert " ".join(exit_codes_text().split()) in text
    for code, _ in EXIT_CODES:
        assert f" {code} " in text
    assert (OK, CHECK_FAILED, BAD_INPUT, CANT_WRITE) == (0, 1, 2, 3)


def test_the_run_exits_with_the_worst_outcome_and_tallies_each():
    report = Report(stream=io.StringIO())
    report.outcome("a.yaml", "written")
    report.outcome("b.yaml", "failed", BAD_INPUT)
    report.outcome("c.yaml", "failed", CHECK_FAILED)
    report.outcome("d.yaml", "unchanged")
    assert report.code == BAD_INPUT
    assert report.summary(False) == "1 written, 1 unchanged, 2 failed: b.yaml, c.yaml"
    assert report.summary(True).startswith("1 would be written,")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_status_line_only_on_a_terminal_and_never_when_quiet():
    for stream, verbosity, live in (
        (_Terminal(), 0, True),
        (_Terminal(), -1, False),
        (io.StringIO(), 0, False),
    ):
        report = Report(verbosity, stream)
        report.status("spec.yaml: compile")
        report.error("a line")
        report.done()
        text = stream.getvalue()
        assert ("spec.yaml: compile" in text) is live
        assert text.replace("\r\x1b[K", "").replace("spec.yaml: compile", "") == "a line\n"
