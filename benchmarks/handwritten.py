"""The benchmark models written by hand, the way a person would, with the same submodule
names as the specs in specs/ (so one state_dict loads into all three variants)."""

from __future__ import annotations

import torch
from torch import nn


class Merge(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(64, 64), nn.Linear(64, 64), nn.Linear(64, 64)
        self.head = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b, c = self.a(x), self.b(x), self.c(x)
        total = torch.sum(torch.stack([a, b, c], dim=1), dim=1)
        return self.head(torch.cat([total, a], dim=1))


class ForkGet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(64, 64)
        self.h0, self.h1 = nn.Linear(16, 8), nn.Linear(16, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p0, p1, p2, p3 = torch.chunk(self.proj(x), chunks=4, dim=1)
        return torch.cat([self.h0(p0), self.h1(p3), p1, p2], dim=1)


class FiLMBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gamma, self.beta = nn.Linear(8, 16), nn.Linear(8, 16)


class Film(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.cond = nn.Linear(8, 8)
        self.film = FiLMBlock()
        self.head = nn.Linear(16, 4)

    def forward(self, image: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        feature, cond = self.conv(image), self.cond(state)
        gamma = self.film.gamma(cond)[:, :, None, None]
        beta = self.film.beta(cond)[:, :, None, None]
        return self.head(torch.mean(gamma * feature + beta, dim=[2, 3]))


class Stereo(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 8, kernel_size=3), nn.ReLU(), nn.Flatten())
        self.left_mlp = nn.Sequential(nn.Linear(288, 32), nn.ReLU())
        self.right_mlp = nn.Sequential(nn.Linear(288, 32), nn.ReLU())

    def forward(self, left: torch.Tensor, right: torch.Tensor):
        return self.left_mlp(self.conv(left)), self.right_mlp(self.conv(right))


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(32, 32)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.head = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embed(x)
        return self.head(self.attn(e, e, e)[0])


MODELS = {
    "merge": (Merge, True),  # (hand-written class, uses TorchArc helper modules)
    "fork_get": (ForkGet, True),
    "film": (Film, True),
    "stereo": (Stereo, False),
    "attention": (Attention, True),
}
