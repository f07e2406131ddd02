"""``from_module`` over the idioms hand-written forward code uses most, one per row: each a
Linear followed by the idiom, imported with every check (script, trace, compile, export) and
the round trip. Per idiom: written (the spec's classes for it), or the fallback's reason.

    python benchmarks/import_idioms.py
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
import yaml
from torch import nn

from torcharc_codegen import from_module
from torcharc_codegen.importer.pipeline import ImportRefused

IDIOMS = {
    "x.transpose(1, 2).flatten(1)": lambda x: x.transpose(1, 2).flatten(1),
    "x.unsqueeze(1).squeeze(1)": lambda x: x.unsqueeze(1).squeeze(1),
    "x.permute(0, 2, 1).contiguous()": lambda x: x.permute(0, 2, 1).contiguous(),
    "x.view(x.shape[0], -1)": lambda x: x.view(x.shape[0], -1),
    "x.softmax(-1)": lambda x: x.softmax(-1),
    "-x": lambda x: -x,
    "x ** 2": lambda x: x**2,
    "1 - x": lambda x: 1 - x,
    "1 / (x.abs() + 1)": lambda x: 1 / (x.abs() + 1),
    "x * x.size(-1) ** -0.5": lambda x: x * x.size(-1) ** -0.5,
    "x * torch.sigmoid(x)": lambda x: x * torch.sigmoid(x),
    "x @ x.transpose(-2, -1)": lambda x: x @ x.transpose(-2, -1),
    "torch.einsum('bij,bkj->bik', x, x)": lambda x: torch.einsum("bij,bkj->bik", x, x),
    "torch.where(x > 0, x, 0.1 * x)": lambda x: torch.where(x > 0, x, 0.1 * x),
    "x.masked_fill(x < 0, 0.0)": lambda x: x.masked_fill(x < 0, 0.0),
    "x.float().type_as(x)": lambda x: x.float().type_as(x),
    "x.to(torch.float64)": lambda x: x.to(torch.float64),
    "x.clamp(min=0)": lambda x: x.clamp(min=0),
    "x.max(dim=-1).values": lambda x: x.max(dim=-1).values,
    "x.norm(dim=-1, keepdim=True)": lambda x: x.norm(dim=-1, keepdim=True),
    "x.mean(-1, keepdim=True)": lambda x: x.mean(-1, keepdim=True),
    "x.cumsum(1)": lambda x: x.cumsum(1),
    "torch.roll(x, 1, dims=1)": lambda x: torch.roll(x, 1, dims=1),
    "torch.cat([x, -x], dim=-1)": lambda x: torch.cat([x, -x], dim=-1),
    "torch.stack([x, x], 1)": lambda x: torch.stack([x, x], 1),
    "x.chunk(2, dim=-1)[1]": lambda x: x.chunk(2, dim=-1)[1],
    "x.unbind(1)[0]": lambda x: x.unbind(1)[0],
    "x[:, 1:]": lambda x: x[:, 1:],
    "x[..., 0::2]": lambda x: x[..., 0::2],
    "x[:, None]": lambda x: x[:, None],
    "x.repeat(1, 2, 1)": lambda x: x.repeat(1, 2, 1),
    "x[:, :1].expand_as(x)": lambda x: x[:, :1].expand_as(x),
    "x.gather(1, x.argmax(1, keepdim=True))": lambda x: x.gather(1, x.argmax(1, keepdim=True)),
    "x + torch.zeros_like(x)": lambda x: x + torch.zeros_like(x),
    "x + x.new_ones(x.shape)": lambda x: x + x.new_ones(x.shape),
    "x + torch.arange(x.shape[-1])": lambda x: x + torch.arange(x.shape[-1]),
    "causal mask: torch.ones(5, 5).tril()": lambda x: x.masked_fill(
        torch.ones(5, 5).tril() == 0, float("-inf")
    ),
    "F.gelu(x, approximate='tanh')": lambda x: F.gelu(x, approximate="tanh"),
    "F.layer_norm(x, x.shape[-1:])": lambda x: F.layer_norm(x, x.shape[-1:]),
    "F.normalize(x, dim=-1)": lambda x: F.normalize(x, dim=-1),
    "F.pad(x, (1, 1))": lambda x: F.pad(x, (1, 1)),
    "F.dropout(x, 0.1, training=False)": lambda x: F.dropout(x, 0.1, training=False),
    "F.interpolate(x, scale_factor=2.0)": lambda x: F.interpolate(x, scale_factor=2.0),
    "F.scaled_dot_product_attention(x, x, x)": lambda x: F.scaled_dot_product_attention(x, x, x),
}


class Idiom(nn.Module):
    def __init__(self, idiom):
        super().__init__()
        self.idiom = idiom
        self.fc = nn.Linear(5, 5)

    def forward(self, x):
        return self.idiom(self.fc(x))


def main() -> None:
    start = time.perf_counter()
    print("| idiom | imported | written as |")
    print("|---|---|---|")
    written = 0
    for name, idiom in IDIOMS.items():
        try:
            imported = from_module(Idiom(idiom).eval(), {"x": torch.randn(2, 5, 5)})
        except ImportRefused as e:  # the root would fall back: the reason is the idiom's
            reason = str(e).split(": ", 1)[1].rsplit(" (", 1)[0]
            print(f"| `{name}` | no: {reason} | |")
            continue
        modules = yaml.safe_load(imported.spec)["modules"]
        forms = [next(iter(m)) + _name(m) for k, m in modules.items() if k != "fc"]
        written += 1
        print(f"| `{name}` | yes ({imported.report.round_trip}) | {', '.join(forms)} |")
    print(f"\n{written} of {len(IDIOMS)} idioms written, each with every check")
    print(f"benchmark time: {time.perf_counter() - start:.0f} s")


def _name(module: dict) -> str:
    (args,) = module.values()
    fn = args.get("name") if isinstance(args, dict) else None
    return f" {fn}" if fn else ""


if __name__ == "__main__":
    main()
