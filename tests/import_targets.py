"""Models for tests/test_import.py, named by ``torcharc-gen import import_targets:NAME``
(importable from the tests directory): torchvision's (with the stub tests/support.py puts in
place first) and small hand-written ones, one per thing the importer does."""

from __future__ import annotations

import torch
from torch import nn

from support import torchvision_models


def resnet18(num_classes: int = 1000) -> nn.Module:
    return torchvision_models().resnet18(num_classes=num_classes)


def torchvision_model(name: str) -> nn.Module:
    return getattr(torchvision_models(), name)()


class Scale(nn.Module):
    """A per-channel scale, broadcast over the spatial dimensions: `x * s` has no helper."""

    def __init__(self, channels: int):
        super().__init__()
        self.gate = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        s = torch.sigmoid(self.gate(x).mean((2, 3), keepdim=True))
        return x * s


class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.scale = Scale(8)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        x = self.scale(self.stem(x))
        return self.head(torch.flatten(x.mean((2, 3)), 1))


class Residual(nn.Module):
    """Linear -> ReLU with the input added back."""

    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class Tower(nn.Module):
    """One class used three times, twice with the same arguments: one block, a param."""

    def __init__(self):
        super().__init__()
        self.first = Residual(16, 32)
        self.body = nn.Sequential(Residual(16, 64), Residual(16, 64))
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        return self.out(self.body(self.first(x)))


def not_a_module() -> int:
    return 3
