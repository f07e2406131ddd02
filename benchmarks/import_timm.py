"""``from_module`` over timm's models: code other people wrote in their own style (their
BatchNormAct2d, F.batch_norm on a module's own buffers, class-valued layer arguments). Per
model: imported with no fallback, with fallbacks (their share of the parameters) or refused
(why), the round trip and the time. Each model runs in a process of its own, stopped after
``--timeout`` seconds (a stop is a finding, printed as one).

timm is not this project's dependency; install it beside it first:

    pip install --no-deps timm safetensors huggingface_hub
    python benchmarks/import_timm.py                    # the default list below
    python benchmarks/import_timm.py resnet50 vit_tiny_patch16_224
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Small models of the families timm has, one or two each (pretrained=False, 10 classes).
DEFAULT = """
resnet18 resnet26d resnet50 resnext26ts seresnet18 seresnext26d_32x4d resnest14d res2net50_14w_8s
skresnet18 efficientnet_b0 efficientnet_lite0 mobilenetv2_050 mobilenetv3_small_050
mobilenetv3_large_100 mobilenetv4_conv_small mobilevit_xxs mobilevitv2_050 convnext_atto
convnext_nano convnextv2_atto regnetx_002 regnety_002 rexnet_100 ghostnet_100 mixnet_s tinynet_e
densenet121 dla34 dpn48b hrnet_w18_small vit_tiny_patch16_224 deit_tiny_patch16_224
swin_tiny_patch4_window7_224 beit_base_patch16_224 cait_xxs24_224 levit_128s poolformer_s12
convmixer_768_32 coat_lite_tiny twins_svt_small pit_ti_224 xcit_nano_12_p16_224
crossvit_tiny_240 edgenext_xx_small efficientformer_l1 efficientformerv2_s0 fastvit_t8
mobileone_s0 repvgg_a0 lcnet_050 hardcorenas_a mnasnet_small fbnetc_100 semnasnet_050 gernet_s
cspresnet50 cspdarknet53 darknet17 botnet26t_256 halonet26t lambda_resnet26t selecsls42b
tresnet_m inception_v3 xception41 nfnet_l0 nf_resnet26 maxvit_nano_rw_256 coatnet_nano_rw_224
gcvit_xxtiny efficientvit_b0 mvitv2_tiny nest_tiny sequencer2d_s mixer_s16_224 resmlp_12_224
gmlp_ti16_224 pvt_v2_b0 visformer_tiny vovnet39a tiny_vit_5m_224
""".split()


def one(name: str) -> dict:
    """Import timm model ``name`` (in this process); what happened, as a dict."""
    import types
    import warnings

    # timm imports torchvision, whose registry wheel's meta kernels don't load on this torch
    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    warnings.filterwarnings("ignore")
    import timm
    import torch

    from torcharc_codegen import from_module
    from torcharc_codegen.importer.pipeline import ImportRefused
    from torcharc_codegen.importer.roundtrip import RoundTripFailed

    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False, num_classes=10).eval()
    size = (model.default_cfg or {}).get("input_size", (3, 224, 224))
    start = time.perf_counter()
    try:
        report = from_module(model, {"x": torch.randn(1, *size)}, verify=False).report
    except ImportRefused as e:
        return {"outcome": "refused", "why": str(e), "s": time.perf_counter() - start}
    except RoundTripFailed as e:
        return {"outcome": "round trip FAILED", "why": str(e), "s": time.perf_counter() - start}
    outcome = (
        f"{len(report.fallbacks)} fallbacks ({report.fallback_share:.1%})"
        if report.fallbacks
        else "no fallback"
    )
    reasons = sorted({f.reason.split(":")[0] for f in report.fallbacks})
    return {
        "outcome": outcome,
        "why": "; ".join(reasons)[:100],
        "lines": report.spec_lines,
        "trip": report.round_trip,
        "s": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="default: about 80 models of every family")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the per-model process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    start = time.perf_counter()
    counts: dict[str, int] = {}
    print("| model | imported | spec lines | round trip | why (refused, or fallbacks') | s |")
    print("|---|---|---|---|---|---|")
    for name in args.models or DEFAULT:
        command = [sys.executable, __file__, "--one", name]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            row = json.loads(lines[-1]) if lines else {"outcome": "error", "why": _last(done)}
        except subprocess.TimeoutExpired:
            row = {"outcome": f"stopped after {args.timeout:.0f} s", "why": ""}
        kind = "with fallbacks" if "fallbacks (" in row["outcome"] else row["outcome"]
        kind = kind.split(" after")[0]  # "stopped after 120 s": stopped
        counts[kind] = counts.get(kind, 0) + 1
        print(
            f"| {name} | {row['outcome']} | {row.get('lines', '-')} | {row.get('trip', '-')} |"
            f" {row.get('why', '')[:100]} | {row.get('s', 0):.1f} |",
            flush=True,
        )
    print("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"benchmark time: {time.perf_counter() - start:.0f} s")


def _last(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return f"exit {done.returncode}: {lines[-1][:100] if lines else ''}"


if __name__ == "__main__":
    main()
