"""Big models: wall time and peak memory (RSS) of `torcharc-gen SPEC -o OUT.py` with
verification, for a small spec, a 1.07 B-parameter spec and a LLaMA-sized 6.7 B one, and
verification time for 1000- and 5000-node chains. Each run is a fresh process; its RSS is
watched, and a run that passes --cap is killed (so a generator that allocates the weights
can't take the machine) and reported as such.

    python benchmarks/big.py [--cap 16] [--only NAME ...]

Prints a Markdown table; with --write it replaces the "## Big models" section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

SPECS = {
    "small (mlp_lazy)": ROOT / "generated_examples" / "basic" / "mlp_lazy.yaml",
    "1.07 B (4 x LazyLinear(16384))": HERE / "specs" / "big" / "linear_1b.yaml",
    "6.7 B (LLaMA-sized)": HERE / "specs" / "big" / "llama_7b.yaml",
}
SECTION = "## Big models"
# Before shapes and checks ran on the meta device: commit 4f309aa, every run with real weights,
# measured by this script (copied into that checkout) just before the run that wrote RESULTS.md.
BEFORE = {
    "small (mlp_lazy)": "4.3 s, 0.36 GB",
    "1.07 B (4 x LazyLinear(16384))": "18.3 s, 4.36 GB",
    "6.7 B (LLaMA-sized)": "can't: 27 GB of weights, 24 GB machine",
    "chain of 1000 nodes": "13.4 s, 0.46 GB",
    "chain of 5000 nodes": "63.6 s, 0.85 GB",
    "wide, 1000 nodes": "17.1 s, 0.48 GB",
}


def chain(n: int) -> dict:
    """n alternating Linear(8, 8) and ReLU nodes in a chain, with an example input."""
    from run import chain as run_chain

    return run_chain(n)


def wide(n: int) -> dict:
    """n nodes: groups of four Linear(8, 8) branches summed by a MergeSum."""
    from run import wide as run_wide

    return run_wide(n)


def measure(command: list[str], cap_bytes: int) -> tuple[float, int, str]:
    """(seconds, peak RSS in bytes, outcome) of one run; killed once its RSS passes the cap."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # run in this checkout, so an older checkout of the script measures its own code
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        peak, killed = 0, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                status_text = Path(f"/proc/{proc.pid}/status").read_text()
                # the child's own high-water mark (its rusage maxrss would count the memory of
                # this process, which it was forked from)
                rss = next(x for x in status_text.splitlines() if x.startswith("VmHWM:"))
                peak = max(peak, int(rss.split()[1]) * 1024)
            except (OSError, StopIteration):
                pass
            if peak > cap_bytes and not killed:
                proc.kill()
                killed = True
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if killed:
        return seconds, peak, f"killed at the {cap_bytes / 2**30:.0f} GB cap"
    if code != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {code}"
        return seconds, peak, f"failed: {last[:120]}"
    checks = [line.strip() for line in stderr.splitlines() if line.startswith("  ")]
    unusual = [c for c in checks if not c.split(": ", 1)[1].startswith("ok")]
    if unusual:
        return seconds, peak, "; ".join(unusual)
    meta = [c for c in checks if "meta tensors" in c]  # ok without the numeric comparison
    if meta:
        why = meta[0].split("meta tensors: ", 1)[1].rstrip(")")
        return seconds, peak, f"{len(checks)} checks ok, on meta tensors ({why})"
    return seconds, peak, f"{len(checks)} checks ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=16, help="RSS cap per run, in GB")
    parser.add_argument("--only", nargs="*", help="run only the rows whose name has this")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    cap = int(args.cap * 2**30)
    gen = [sys.executable, "-m", "torcharc_codegen"]
    rows = [
        "| spec | verification | time | peak RSS | checks | before (real weights) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [(name, path) for name, path in SPECS.items()]
        for n in (1000, 5000):
            path = Path(tmp) / f"chain_{n}.yaml"
            path.write_text(yaml.safe_dump(chain(n), sort_keys=False))
            jobs.append((f"chain of {n} nodes", path))
        path = Path(tmp) / "wide_1000.yaml"
        path.write_text(yaml.safe_dump(wide(1000), sort_keys=False))
        jobs.append(("wide, 1000 nodes", path))
        for name, path in jobs:
            if args.only and not any(o in name for o in args.only):
                continue
            out = Path(tmp) / "out.py"
            seconds, peak, outcome = measure([*gen, str(path), "-o", str(out)], cap)
            before = BEFORE.get(name, "")
            rows.append(
                f"| {name} | on | {seconds:.1f} s | {peak / 2**30:.2f} GB | {outcome} | {before} |"
            )
            print(rows[-1], flush=True)
    text = "\n".join(
        [
            SECTION,
            "",
            f"`python benchmarks/big.py --write` (each run a fresh process, RSS capped at "
            f"{args.cap:.0f} GB; {os.cpu_count()} cores):",
            "",
            *rows,
            "",
            "Shapes come from one run on the meta device; a model over the numeric budget "
            "(default 1 GB of parameters) is verified on meta tensors. The before column: "
            "commit 4f309aa, shapes and checks with real weights, measured just before. Other "
            "work shares the machine: compare loosely.",
            "",
        ]
    )
    if args.write:
        results = HERE / "RESULTS.md"
        old = results.read_text() if results.exists() else ""
        head = old.split(SECTION)[0].rstrip("\n")
        results.write_text((head + "\n\n" if head else "") + text)
        print(f"wrote {results}")


if __name__ == "__main__":
    main()
