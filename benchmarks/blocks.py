"""Specs with blocks against flat specs of the same torchvision models, side by side: for each
example of generated_examples/blocks/ (at the params of a torchvision model) and the flat spec
of that model (benchmarks/flat_specs.py: every fx node one spec node), the spec's lines, the
generated file's lines and the time of ``torcharc-gen SPEC -o OUT.py`` with every check (a
subprocess, start-up included; median of the rounds). Outputs go to a temporary directory
(formatted with this repository's black settings); the committed files are not touched.

    python benchmarks/blocks.py              # 1 round
    python benchmarks/blocks.py --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from flat_specs import SIZE, flat_yaml  # noqa: E402

BLOCKS = ROOT / "generated_examples" / "blocks"

# (example, --param values, the torchvision model they make)
CASES = [
    ("resnet", [], "resnet18"),
    ("resnet", ["depth1=3", "depth2=4", "depth3=6", "depth4=3"], "resnet34"),
    ("resnet_bottleneck", [], "resnet50"),
    ("resnet_bottleneck", ["depth3=23"], "resnet101"),
    ("mobilenet_v2", [], "mobilenet_v2"),
    ("densenet121", [], "densenet121"),
]


def generate(spec: Path, out: Path, params: list[str], rounds: int) -> tuple[float, str]:
    """(median seconds of ``torcharc-gen spec -o out`` with every check, error or "")."""
    command = [sys.executable, "-m", "torcharc_codegen", str(spec), "-o", str(out), "-q"]
    for value in params:
        command += ["--param", value]
    times = []
    for _ in range(rounds):
        out.unlink(missing_ok=True)  # a file already current would take the fast path
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if run.returncode != 0:
            lines = (run.stderr or run.stdout).strip().splitlines()
            return times[-1], f"exit {run.returncode}: {lines[0] if lines else ''}"
    return statistics.median(times), ""


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="blocks-bench-"))
    # this repository's black settings, so the files have the committed files' line lengths
    (tmp / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    print(f"torcharc-gen with every check, median of {args.rounds} round(s); outputs in {tmp}\n")
    print(
        "| example | torchvision model | spec lines: blocks / flat "
        "| generated lines: blocks / flat | generation: blocks / flat |"
    )
    print("|---|---|---|---|---|")
    notes = []
    flat_done: dict[str, tuple[int, int, float, str]] = {}
    for example, params, model in CASES:
        spec = BLOCKS / f"{example}.yaml"
        if model not in flat_done:
            flat = tmp / f"{model}_flat.yaml"
            flat.write_text(flat_yaml(model, SIZE))
            seconds, error = generate(flat, flat.with_suffix(".py"), [], args.rounds)
            generated = _lines(flat.with_suffix(".py")) if not error else 0
            flat_done[model] = (_lines(flat), generated, seconds, error)
        flat_spec, flat_generated, flat_seconds, flat_error = flat_done[model]
        if flat_error:
            notes.append(f"{model} (flat): {flat_error}")
        shown = example + "".join(f" {p}" for p in params)
        if not spec.is_file():
            notes.append(f"{example}: {spec.relative_to(ROOT)} doesn't exist yet: skipped")
            print(
                f"| {shown} | {model} | - / {flat_spec} | - / {flat_generated} "
                f"| - / {flat_seconds:.1f} s |"
            )
            continue
        out = tmp / f"{example}_{model}.py"
        seconds, error = generate(spec, out, params, args.rounds)
        if error:
            notes.append(f"{shown}: {error}")
            generated, timing = "failed", "failed"
        else:
            generated, timing = str(_lines(out)), f"{seconds:.1f} s"
        print(
            f"| {shown} | {model} | {_lines(spec)} / {flat_spec} | {generated} / {flat_generated} "
            f"| {timing} / {flat_seconds:.1f} s |"
        )
    for note in notes:
        print(f"\n- {note}")


if __name__ == "__main__":
    main()
