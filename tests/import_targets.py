"""Models for tests/test_import.py, named by ``torcharc-gen import import_targets:NAME``
(importable from the tests directory): torchvision's (with the stub tests/support.py puts in
place first) and small hand-written ones, one per thing the importer does."""

from __future__ import annotations

import torch
from torch import nn

from support import torchvision_models


def random_statistics(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random BatchNorm statistics and affine parameters: at torchvision's initialization eval
    mode's normalization is nearly the identity and would hide one loaded into the wrong place."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.1)
    return model


def resnet18(num_classes: int = 1000) -> nn.Module:
    return random_statistics(torchvision_models().resnet18(num_classes=num_classes))


def torchvision_model(name: str) -> nn.Module:
    return random_statistics(getattr(torchvision_models(), name)())


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


class Leaky(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(self.fc(x))


class LeakyStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(Leaky(8), Leaky(8))

    def forward(self, x):
        return self.body(x)


class Offset(nn.Module):
    """A bare nn.Parameter read in forward."""

    def __init__(self, width: int):
        super().__init__()
        self.offset = nn.Parameter(torch.zeros(width))
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x) + self.offset


class Branchy(nn.Module):
    """Control flow on a tensor's value: fx can't trace it."""

    def __init__(self, width: int):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Fallbacks(nn.Module):
    def __init__(self):
        super().__init__()
        self.offset = Offset(8)
        self.branchy = Branchy(8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.branchy(self.offset(x)))


def not_a_module() -> int:
    return 3


class WithAux(nn.Module):
    """A head forward doesn't call in eval mode (as GoogLeNet's auxiliary classifiers)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 8)
        self.aux = nn.Linear(8, 2)

    def forward(self, x):
        x = self.body(x)
        if self.training:
            return x, self.aux(x)
        return x
