"""How one file's checks are shown and judged: each check's line as it ends, with its time
(a warning or an error about a check is a message, without it), what runs next on the
status line, and which outcomes keep the file from being written (a failed check, and one
torch can't do that ``[tool.torcharc-gen] require`` asks for)."""

from __future__ import annotations

from .report import STEPS, Report, check_line

TYPE_CHECKING = False  # not typing's: start-up time
if TYPE_CHECKING:
    from ..check.verify import Check
    from ..check.verify import Report as Checked

_HELD = ("not possible",)  # limits.NOT_POSSIBLE: a warning or an error, once the report is done


class Checks:
    def __init__(self, report: Report, label: str, many: bool, require: tuple[str, ...]):
        self.report = report
        self.label = label
        self.many = many
        self.require = require
        self._shown: set[int] = set()

    def start(self) -> None:
        self.report.status(f"{self.label}: generating")

    def on_check(self, check: Check) -> None:
        """Called as each check ends, with its final status: its line now, unless torch
        itself can't do it (a warning, or an error where the project requires the check,
        said with the report)."""
        self.report.status("")  # the line replaces the status, which the next step's follows
        if check.status not in _HELD:
            self._shown.add(id(check))
            self._line(check)
        following = STEPS.index(check.name) + 1 if check.name in STEPS else len(STEPS)
        if following < len(STEPS):
            self.report.status(f"{self.label}: {STEPS[following]}")

    def _line(self, check: Check) -> None:
        if self.many:
            self.report.detail(f"  {self.label}: {check_line(check)}")
        else:
            self.report.info(f"  {check_line(check)}")

    def judge(self, checked: Checked, output: str) -> bool:
        """Show the lines not shown yet; True when the file may be written."""
        from ..check.limits import NOT_POSSIBLE

        refused = checked.refused(self.require)
        for check in checked.checks:
            if check.status == NOT_POSSIBLE and check not in refused:
                self.report.error(f"warning: {self.label}: {check.line()}")  # torch's limit
            elif check.status == NOT_POSSIBLE:
                self.report.error(
                    f"{self.label}: {check.line()}: [tool.torcharc-gen] requires {check.name}"
                )
            elif id(check) not in self._shown:
                self._line(check)
        if not refused:
            return True
        for check in checked.failed if self.many and self.report.verbosity <= 0 else []:
            self.report.error(f"{self.label}: {check.line()}")
        self.report.error(f"torcharc-gen: verification failed; {output} not written")
        return False
