"""SIGTERM and SIGINT at many points of a real run, every outcome counted by kind.

    python benchmarks/signal_stress.py                 # 40 delays per signal, every check
    python benchmarks/signal_stress.py --delays 100 --group
    python benchmarks/signal_stress.py --calls --delays 300   # at Python calls, not delays

The script first times an uninterrupted run of ``torcharc-gen`` on a small spec with every
check, then starts the command again and again, each in its own session, with a private
TMPDIR and a previous ``out.py``, and sends the signal after delays spread from 0 to a little
beyond the run's length (SIGTERM and SIGINT at interleaved points). Each run must end:

- with exit 143 (SIGTERM) or 130 (SIGINT); or 0 when the signal came after the outcome was
  reported; or, before Python ran the package (nothing of it can handle the signal there), by
  the signal itself with nothing printed or, for SIGINT, Python's own KeyboardInterrupt;
- with stderr made of the check lines finished so far and one last line, the outcome, no
  traceback and no "Exception ignored";
- with no ``torcharc-gen-*`` directory left in the TMPDIR, no temporary file beside the
  output, the output either the previous file or the complete new one;
- with no process of its session left running (the checks' forked children).

It prints one line per failed run and the tally by kind; exit 1 if any run failed.
``--group`` sends the signal to the whole process group, as a terminal's Ctrl-C does.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SPEC = textwrap.dedent("""\
    modules:
      lin: {Linear: {in_features: 4, out_features: 8}}
      act: {ReLU: null}
      head: {Linear: {in_features: 8, out_features: 2}}
    graph:
      input: {x: {shape: [3, 4]}}
      modules: {lin: [x], act: [lin], head: [act]}
      output: head
    """)
OLD = "the previous, good file\n"
CHECK_LINE = re.compile(r"  (run|script|trace|compile|export|checks): ")


# --calls: the run signals itself at its N-th Python function call (a profile hook; not in
# the checks' children), so the points cover every call, however short, not just where the
# run spends its time; N = 0 counts the calls of an uninterrupted run into SIGNAL_COUNT_TO.
AT_CALL = """\
import os, signal, sys
AT, SIGNUM = int(os.environ["SIGNAL_AT_CALL"]), int(os.environ["SIGNAL_NUMBER"])
PARENT, calls = os.getpid(), 0
def count(frame, event, arg):
    global calls
    if event == "call":
        calls += 1
        if calls == AT:
            sys.setprofile(None)
            os.kill(PARENT, SIGNUM)
if AT == 0:
    real_exit = os._exit
    def counted_exit(code):
        sys.setprofile(None)
        if os.getpid() == PARENT:
            with open(os.environ["SIGNAL_COUNT_TO"], "w") as f:
                f.write(str(calls))
        real_exit(code)
    os._exit = counted_exit
os.register_at_fork(after_in_child=lambda: sys.setprofile(None))
sys.argv = ["torcharc-gen", *sys.argv[1:]]
sys.setprofile(count)
from torcharc_codegen.__main__ import main
raise SystemExit(main())
"""


def command(d: Path, at_call: bool = False) -> list[str]:
    exe = Path(sys.executable).with_name("torcharc-gen")
    if at_call:
        start = [sys.executable, "-c", AT_CALL]
    else:
        start = [str(exe)] if exe.exists() else [sys.executable, "-m", "torcharc_codegen"]
    return start + [str(d / "spec.yaml"), "-o", str(d / "out.py")]


def setup(d: Path) -> dict:
    (d / "tmp").mkdir(parents=True)
    (d / "spec.yaml").write_text(SPEC)
    (d / "out.py").write_text(OLD)
    return {**os.environ, "TMPDIR": str(d / "tmp")}


def session(sid: int) -> list[int]:
    """The live (not zombie) processes of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # state, ppid, pgrp, session
            found.append(int(entry.name))
    return found


def left_running(sid: int, grace: float = 1.0) -> list[int]:
    """Processes of the session still alive ``grace`` seconds after its leader ended (the
    checks' children die with their parent at once); killed, so the next run is clean."""
    end = time.monotonic() + grace
    while (alive := session(sid)) and time.monotonic() < end:
        time.sleep(0.02)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive


def run_once(
    d: Path,
    signum: int | None,
    delay: float,
    group: bool,
    at_call: int | None = None,
    timeout: float = 300,
):
    """One run, signalled after ``delay`` s or at call ``at_call`` (``signum`` None: not
    signalled): (returncode, stderr, seconds, processes left running)."""
    env = setup(d)
    if at_call is not None:
        env.update(SIGNAL_AT_CALL=str(at_call), SIGNAL_NUMBER=str(int(signum or 0)))
        env.update(SIGNAL_COUNT_TO=str(d / "calls"))
    start = time.monotonic()
    proc = subprocess.Popen(
        command(d, at_call is not None),
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if signum is not None and at_call is None:
        time.sleep(delay)
        try:
            (os.killpg if group else os.kill)(proc.pid, signum)
        except ProcessLookupError:
            pass
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        return None, err, time.monotonic() - start, []
    return proc.returncode, err, time.monotonic() - start, left_running(proc.pid)


def judge(d: Path, new: str, signum: int, code, err: str, left: list[int]) -> tuple[str, list]:
    """(the outcome, the failures by kind) of one signalled run."""
    failures = []
    lines = err.splitlines()
    if code is None:
        failures.append("hang")
    if "Traceback" in err or "Exception ignored" in err:
        failures.append("traceback")
    modules = [p.name for p in (d / "tmp").iterdir() if p.name.startswith("torcharc-gen-")]
    if modules:
        failures.append("temporary directory left")
    beside = [p.name for p in d.iterdir() if p.name not in ("spec.yaml", "out.py", "tmp")]
    if beside:
        failures.append("temporary file left")
    text = (d / "out.py").read_text()
    if text not in (OLD, new):
        failures.append("partial output")
    if left:
        failures.append("child process left")
    out = d / "out.py"
    if code == -signum and not err:
        outcome = "killed before the package ran"
        if text != OLD:
            failures.append("written yet killed")
    elif signum == signal.SIGINT and code in (1, -signum) and "torcharc_codegen" not in err:
        # Python's own KeyboardInterrupt, in its start-up (site, the console script)
        outcome = "Python's own start-up (its KeyboardInterrupt)"
        failures = [f for f in failures if f != "traceback"]
        if text != OLD:
            failures.append("written yet killed")
    elif code == 0:
        outcome = "finished"
        if text != new or not lines or lines[-1] != f"wrote {out} (Out)":
            failures.append("wrong outcome line")
    elif code == 128 + signum:
        want = (
            f"torcharc-gen: wrote {out}; interrupted after writing"
            if text == new
            else "torcharc-gen: interrupted; nothing written"
        )
        outcome = "interrupted after writing" if text == new else "interrupted before writing"
        if not lines or lines[-1] != want:
            failures.append("wrong outcome line")
        if any(not CHECK_LINE.match(line) for line in lines[:-1]):
            failures.append("extra stderr lines")
    else:
        outcome = f"exit {code}"
        failures.append(
            f"died by {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exit {code}"
        )
    return outcome, failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--delays", type=int, default=40, help="delays per signal (default 40)")
    ap.add_argument("--group", action="store_true", help="signal the whole process group")
    ap.add_argument("--signals", default="TERM,INT", help="which signals (default TERM,INT)")
    ap.add_argument(
        "--window",
        nargs=2,
        type=float,
        metavar=("FROM", "TO"),
        help="delays spread over FROM-TO seconds instead of the whole run",
    )
    ap.add_argument(
        "--calls",
        action="store_true",
        help="signal at Python function calls spread over the run instead of after delays",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="a failed run's whole stderr")
    args = ap.parse_args()
    signums = [signal.Signals["SIG" + s.strip()] for s in args.signals.split(",")]
    with tempfile.TemporaryDirectory(prefix="signal-stress-") as root:
        root = Path(root)
        times = []
        for i in range(2):
            code, err, seconds, _ = run_once(root / f"reference{i}", None, 0, False)
            if code != 0:
                sys.exit(f"the uninterrupted run failed ({code}):\n{err}")
            times.append(seconds)
        new = (root / "reference0" / "out.py").read_text()
        length = min(times)
        first, last = args.window or (0.0, 1.1 * length)
        unit = "s"
        if args.calls:
            counted = root / "counted"
            code, err, _, _ = run_once(counted, None, 0, False, at_call=0)
            if code != 0:
                sys.exit(f"the counted run failed ({code}):\n{err}")
            calls = int((counted / "calls").read_text())
            first, last, unit = 1, calls, " calls"
        print(
            f"uninterrupted run: {length:.2f} s; {args.delays} points per signal over "
            f"{first:g}-{last:g}{unit}; {'group' if args.group else 'process'} signals"
        )
        outcomes: collections.Counter = collections.Counter()
        failures: collections.Counter = collections.Counter()
        failed = 0
        for point in range(args.delays):
            for k, signum in enumerate(signums):
                delay = first + (last - first) * (point + k / len(signums)) / args.delays
                d = root / f"run{point}-{signum.name}"
                at_call = round(delay) if args.calls else None
                code, err, seconds, left = run_once(d, signum, delay, args.group, at_call)
                outcome, wrong = judge(d, new, signum, code, err, left)
                outcomes[outcome] += 1
                failures.update(wrong)
                if wrong:
                    failed += 1
                    shown = err if args.verbose else err.strip().splitlines()[-3:]
                    print(
                        f"FAIL {signum.name} at {delay:.6g}{unit}: exit {code}, "
                        f"{', '.join(wrong)}; stderr: {shown}"
                    )
        runs = args.delays * len(signums)
        print(f"{runs} runs, {failed} failed")
        for outcome, n in sorted(outcomes.items()):
            print(f"  {n:4d}  {outcome}")
        for kind, n in sorted(failures.items()):
            print(f"  {n:4d}  FAILURE: {kind}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
