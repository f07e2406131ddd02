"""A flat ResNet-like spec: a stem, ``blocks`` bottleneck blocks (conv-bn-relu three times,
a projection where the width changes, a MergeSum and a ReLU) and a pooled linear head, every
layer its own graph node, as a flat export of torchvision's ResNet would be.

    python benchmarks/resnet_like.py [--blocks 16] > spec.yaml
"""

from __future__ import annotations

import argparse
import sys

import yaml


def spec(blocks: int = 16, batch: int = 2, size: int = 32) -> dict:
    modules: dict = {}
    nodes: dict = {}

    def add(name: str, cls: str, kwargs: dict | None, inputs) -> str:
        modules[name] = {cls: kwargs}
        nodes[name] = inputs if isinstance(inputs, list) else [inputs]
        return name

    def conv_bn(name: str, src: str, cin: int, cout: int, k: int, stride: int = 1) -> str:
        conv = add(
            f"{name}_conv",
            "Conv2d",
            {
                "in_channels": cin,
                "out_channels": cout,
                "kernel_size": k,
                "stride": stride,
                "padding": k // 2,
                "bias": False,
            },
            src,
        )
        return add(f"{name}_bn", "BatchNorm2d", {"num_features": cout}, conv)

    x = conv_bn("stem", "x", 3, 16, 3)
    x = add("stem_relu", "ReLU", None, x)
    width = 16
    for b in range(blocks):
        stage = b * 4 // blocks
        out = 16 * 2**stage
        stride = 2 if b > 0 and stage != (b - 1) * 4 // blocks else 1
        mid = out // 4 or 1
        h = add(f"b{b}_relu1", "ReLU", None, conv_bn(f"b{b}_1", x, width, mid, 1))
        h = add(f"b{b}_relu2", "ReLU", None, conv_bn(f"b{b}_2", h, mid, mid, 3, stride))
        h = conv_bn(f"b{b}_3", h, mid, out, 1)
        short = (
            x if (width == out and stride == 1) else conv_bn(f"b{b}_proj", x, width, out, 1, stride)
        )
        x = add(f"b{b}_relu", "ReLU", None, add(f"b{b}_sum", "MergeSum", None, [[h, short]]))
        width = out
    x = add("pool", "AdaptiveAvgPool2d", {"output_size": 1}, x)
    x = add("flat", "Flatten", None, x)
    x = add("head", "Linear", {"in_features": width, "out_features": 10}, x)
    graph = {"input": {"x": {"shape": [batch, 3, size, size]}}, "modules": nodes, "output": x}
    return {"modules": modules, "graph": graph}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=16)
    args = parser.parse_args()
    yaml.safe_dump(spec(args.blocks), sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()
