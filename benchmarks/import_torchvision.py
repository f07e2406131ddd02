"""``from_module`` (``torcharc-gen import``) over torchvision's classifiers: per model, whether
it imported with no fallback, with fallbacks (the share of parameters in them) or was refused
(why), the spec's and the generated file's lines, the round trip (strict load, bit-exact
outputs in eval mode, BatchNorm statistics made random first) and the time.

    python benchmarks/import_torchvision.py                  # the default subset
    python benchmarks/import_torchvision.py resnet50 vgg11 --verify   # every check too
    python benchmarks/import_torchvision.py --all --max-params 100000000

Nothing is written; ``-o DIR`` keeps the specs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from import_targets import random_statistics  # noqa: E402
from support import torchvision_models  # noqa: E402
from torcharc_codegen import from_module  # noqa: E402
from torcharc_codegen.importer.pipeline import ImportRefused  # noqa: E402
from torcharc_codegen.importer.roundtrip import RoundTripFailed  # noqa: E402

DEFAULT = [
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "densenet121",
    "efficientnet_b0",
    "googlenet",
    "shufflenet_v2_x0_5",
    "squeezenet1_0",
    "mnasnet0_5",
    "vgg11",
    "vit_b_16",
    "convnext_tiny",
    "regnet_y_400mf",
    "swin_t",
]
# The input sizes the models take other than the default: ViTs and MaxViT check theirs.
SIZES = {"maxvit_t": 224, "inception_v3": 299, "googlenet": 64}


def size_of(name: str, default: int) -> int:
    return 224 if name.startswith("vit_") else SIZES.get(name, default)


def one(name: str, size: int, verify: bool, out: Path | None) -> list[str]:
    models = torchvision_models()
    torch.manual_seed(0)
    model = random_statistics(models.get_model(name))
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    start = time.perf_counter()
    spec_lines = generated = "-"
    try:
        imported = from_module(model, {"x": x}, verify=verify, origin=f"torchvision {name}")
    except ImportRefused as e:
        return [
            name,
            f"refused: {str(e)[:90]}",
            "-",
            "-",
            "-",
            f"{time.perf_counter() - start:.1f}",
        ]
    except RoundTripFailed as e:
        status, trip = "imported", f"FAILED: {str(e)[:90]}"
    except Exception as e:  # noqa: BLE001 - the benchmark reports, never stops
        status, trip = "error", f"{type(e).__name__}: {str(e)[:90]}"
    else:
        report = imported.report
        status = (
            f"with {len(report.fallbacks)} fallbacks ({report.fallback_share:.1%})"
            if report.fallbacks
            else "no fallback"
        )
        spec_lines, generated = str(report.spec_lines), str(report.generated_lines)
        trip = report.round_trip + ("" if not report.unused else f"; unused {report.unused}")
        if report.checks:  # with --verify: "script: ok (...)" -> "script ok"
            trip += "; " + ", ".join(_check_word(c) for c in report.checks)
        if out is not None:
            (out / f"{name}.yaml").write_text(imported.spec)
    return [name, status, spec_lines, generated, trip, f"{time.perf_counter() - start:.1f}"]


def _check_word(line: str) -> str:
    name, _, rest = line.strip().partition(":")
    return f"{name} {rest.split()[0] if rest.split() else ''}".strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help=f"default: {' '.join(DEFAULT)}")
    parser.add_argument("--all", action="store_true", help="every classification model")
    parser.add_argument("--max-params", type=int, default=100_000_000)
    parser.add_argument("--size", type=int, default=64, help="example input's height and width")
    parser.add_argument("--verify", action="store_true", help="run every check, too")
    parser.add_argument("-o", "--out", type=Path, help="a directory to keep the specs in")
    args = parser.parse_args()
    models = torchvision_models()
    names = args.models or (models.list_models(module=models) if args.all else DEFAULT)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    print("| model | imported | spec lines | generated lines | round trip | s |")
    print("|---|---|---|---|---|---|")
    for name in names:
        if args.all:
            weights = models.get_model_weights(name).DEFAULT.meta.get("num_params", 0)
            if weights > args.max_params:
                print(f"| {name} | skipped: {weights:,} parameters | - | - | - | - |")
                continue
        row = one(name, size_of(name, args.size), args.verify, args.out)
        print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nbenchmark time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
