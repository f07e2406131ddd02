"""The edit-compile loop's cost, side by side in one run: ``python -c "import torch"``, the CLI
with every check and with ``--no-verify`` (each a fresh process, interleaved rounds, medians),
each check's own time, and the ratios to ``import torch``.

    python benchmarks/startup.py [--rounds 5] [--large] [--tree DIR]

Specs: the bundled ``mlp_lazy.yaml`` (small) and, with ``--large``, a flat ResNet-like spec of
172 nodes (resnet_like.py). Each check's time is its own wall time in one process, the checks
one after another (``Check.seconds``); the CLI runs them concurrently, so its total is less
than their sum. ``--tree DIR``: run the tool from another checkout (e.g. an older commit, for
before/after figures); where its verify has no ``on_check`` the per-check times are ``-``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

CHECKS = ("run", "script", "trace", "compile", "export")

PER_CHECK = """\
import inspect, json, sys
from torcharc_codegen.api import compile_spec
from torcharc_codegen.check import verify as v
result = compile_spec(sys.argv[1], verify=False)
times = {}
if "on_check" in inspect.signature(v.verify).parameters:
    from torcharc_codegen.check import concurrent
    concurrent.available = lambda: False  # one after another: each check's own time
    v.verify(result.code, result.model, on_check=lambda c: times.update({c.name: c.seconds}))
print(json.dumps(times))
"""


def wall(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(spec: Path, rounds: int, env: dict) -> dict:
    out = Path(tempfile.mkdtemp(prefix="startup-")) / "model.py"
    tool = [sys.executable, "-m", "torcharc_codegen", str(spec), "-o", str(out)]
    runs: dict[str, list[float]] = {"import torch": [], "every check": [], "--no-verify": []}
    checks: dict[str, list[float]] = {name: [] for name in CHECKS}
    for _ in range(rounds):  # interleaved: a burst of load on the machine hits all alike
        runs["import torch"].append(wall([sys.executable, "-c", "import torch"], env))
        out.unlink(missing_ok=True)
        runs["every check"].append(wall(tool, env))
        out.unlink(missing_ok=True)
        runs["--no-verify"].append(wall([*tool, "--no-verify"], env))
        got = subprocess.run(
            [sys.executable, "-c", PER_CHECK, str(spec)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        for name, seconds in json.loads(got.stdout.splitlines()[-1]).items():
            if name in checks and seconds is not None:
                checks[name].append(seconds)
    out.unlink(missing_ok=True)
    out.parent.rmdir()
    median = {k: statistics.median(v) for k, v in runs.items()}
    median.update({k: statistics.median(v) for k, v in checks.items() if v})
    return median


def table(results: dict[str, dict]) -> str:
    head = [
        "spec",
        "import torch",
        "every check",
        "--no-verify",
        "checks' share",
        "every check / import torch",
        "--no-verify / import torch",
        *CHECKS,
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, m in results.items():
        torch_s, every, none = m["import torch"], m["every check"], m["--no-verify"]
        cells = [
            name,
            f"{torch_s:.2f} s",
            f"{every:.2f} s",
            f"{none:.2f} s",
            f"{every - none:.2f} s",
            f"{every / torch_s:.2f}",
            f"{none / torch_s:.2f}",
            *(f"{m[c]:.2f} s" if c in m else "-" for c in CHECKS),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--large", action="store_true", help="also the 172-node ResNet-like spec")
    parser.add_argument("--tree", type=Path, help="run the tool from this checkout")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    env = dict(os.environ)
    if args.tree:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.tree), env.get("PYTHONPATH")]))
    specs = {"small (mlp_lazy)": ROOT / "generated_examples" / "basic" / "mlp_lazy.yaml"}
    scratch = None
    if args.large:
        import yaml
        from resnet_like import spec

        scratch = Path(tempfile.mkdtemp(prefix="startup-spec-")) / "resnet_like.yaml"
        scratch.write_text(yaml.safe_dump(spec(), sort_keys=False))
        specs["ResNet-like (172 nodes)"] = scratch
    try:
        results = {name: measure(path, args.rounds, env) for name, path in specs.items()}
    finally:
        if scratch is not None:
            scratch.unlink()
            scratch.parent.rmdir()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" medians of {args.rounds} interleaved rounds, load average before"
        f" {load:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    print(table(results))


if __name__ == "__main__":
    main()
