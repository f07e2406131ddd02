"""Models for tests/test_import.py, named by ``torcharc-gen import import_targets:NAME``
(importable from the tests directory): torchvision's (with the stub tests/support.py puts in
place first) and small hand-written ones, one per thing the importer does."""

from __future__ import annotations

from dataclasses import dataclass

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
    """A gain read as a Python number (`.item()`): a value of the data, which a spec can't
    hold."""

    def __init__(self, channels: int):
        super().__init__()
        self.gate = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        s = torch.sigmoid(self.gate(x).mean((2, 3), keepdim=True))
        return x * s.amax().item()


class Excite(nn.Module):
    """Squeeze and excitation: a per-channel gate broadcast over the spatial dimensions
    (`x * s`, the Mul helper), and a bias broadcast the same way (`x + b`, Add)."""

    def __init__(self, channels: int):
        super().__init__()
        self.gate = nn.Conv2d(channels, channels, 1)
        self.bias = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        pooled = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.gate(pooled)) + self.bias(pooled)


class Excited(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.excite = Excite(8)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        x = self.excite(self.stem(x))
        return self.head(torch.flatten(x.mean((2, 3)), 1))


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


class Shifted(nn.Module):
    """An index buffer computed when built, read in forward: no spec holds its values."""

    def __init__(self, width: int):
        super().__init__()
        self.register_buffer("shift", torch.arange(width).roll(1))
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x)[:, self.shift]


class Branchy(nn.Module):
    """Control flow on a tensor's value: fx can't trace it."""

    def __init__(self, width: int):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Ramped(nn.Module):
    """A tensor its forward makes from no input (fx holds it as a constant)."""

    def __init__(self, width: int):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x) * torch.arange(8.0)


class Fallbacks(nn.Module):
    def __init__(self):
        super().__init__()
        self.offset = Offset(8)
        self.shifted = Shifted(8)
        self.branchy = Branchy(8)
        self.ramped = Ramped(8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.ramped(self.branchy(self.shifted(self.offset(x)))))


class Tokens(nn.Module):
    """A class token broadcast to the batch, and an attention called with a constant."""

    def __init__(self, width: int = 8):
        super().__init__()
        self.token = nn.Parameter(torch.randn(1, 1, width))
        self.attn = nn.MultiheadAttention(width, 2, batch_first=True)

    def forward(self, x):
        token = self.token.expand(x.shape[0], -1, -1)
        h = torch.cat([token, x], dim=1)
        out, _ = self.attn(h, h, h, need_weights=False)
        return out[:, 0]


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


class Widening(nn.Module):
    """A Sequential of one class whose widths step evenly, and of Linears that do: each run is
    one repeat entry with ``${...}`` of the copy's index."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(*(Residual(8, 16 + 8 * k) for k in range(4)))
        self.ladder = nn.Sequential(*(nn.Linear(8 + 4 * k, 12 + 4 * k) for k in range(3)))

    def forward(self, x):
        return self.ladder(self.body(x))


class Grow(nn.Module):
    """A dense block's layer: it concatenates the list it is given, then adds 4 features."""

    def __init__(self, width: int):
        super().__init__()
        self.fc = nn.Linear(width, 4)

    def forward(self, features):
        return self.fc(torch.cat(features, 1))


class Dense(nn.ModuleDict):
    """Each layer reads the input and every layer's output before it (torchvision's
    _DenseBlock): a Sequential of layers that each concatenate their output to their input."""

    def __init__(self, width: int, layers: int):
        super().__init__({f"layer{k + 1}": Grow(width + 4 * k) for k in range(layers)})

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Dense(8, 5)
        self.head = nn.Linear(28, 2)

    def forward(self, x):
        return self.head(self.block(x))


class Stack(nn.Module):
    """A ModuleList whose entries forward calls one after the other."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 4)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class Skipping(Stack):
    """A ModuleList one of whose entries forward doesn't call."""

    def forward(self, x):
        return self.blocks[2](self.blocks[0](x))


class Dropping(nn.Module):
    """A layer and the drop-path module it is given (torchvision's StochasticDepth)."""

    def __init__(self, drop: nn.Module):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.drop = drop

    def forward(self, x):
        return self.drop(self.fc(x))


class ChannelsLastNorm(nn.LayerNorm):
    """A layer norm over the channels of an image (ConvNeXt's LayerNorm2d): the functional
    form with the module's own weight and bias."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Normed(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.norm = ChannelsLastNorm(8, eps=1e-6)

    def forward(self, x):
        return self.norm(self.conv(x))


@dataclass
class Config:
    """A configuration object: no spec literal."""

    width: int = 8


class Configured(nn.Module):
    """A value of the data read as a Python number, in a class built from a configuration
    object."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.fc = nn.Linear(config.width, config.width)

    def forward(self, x):
        return x * torch.sigmoid(self.fc(x)).amax().item()


class Holder(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        self.inner = Configured(Config())

    def forward(self, x):
        return self.inner(x)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.holder = Holder()
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.holder(x))


class Fold(nn.Module):
    """A reshape by a size forward is given as a number (MaxViT's window partition)."""

    def forward(self, x, p: int):
        return x.reshape(x.shape[0], -1, p).sum(-1)


class Folding(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.fold = Fold()

    def forward(self, x):
        return self.fold(self.fc(x), 4)


class Head(nn.Module):
    """Forward arguments left at their defaults: a flag and a None."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)

    def forward(self, x, pre_logits: bool = False, mask=None):
        if pre_logits:
            return x
        q, k, v = self.qkv(x).split([8, 8, 8], dim=-1)
        return q * k + v


class Attention(nn.Module):
    """Single-head attention written out: torch.einsum and `@` of tensors, a difference and a
    quotient of tensors, and F.gelu (a builtin: no Python signature names its arguments)."""

    def __init__(self, width: int = 8):
        super().__init__()
        self.q = nn.Linear(width, width)
        self.k = nn.Linear(width, width)
        self.v = nn.Linear(width, width)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        attn = torch.softmax(torch.einsum("bid,bjd->bij", q, k) / 8**0.5, dim=-1)
        y = attn @ v
        return nn.functional.gelu((y - x) / (x.abs() + 1), approximate="tanh")


class Iterated(nn.Module):
    """A Sequential called entry by entry, and a parameter forward doesn't read."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 8))
        self.scale = nn.Parameter(torch.ones(8))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Recurrent(nn.Module):
    """An LSTM, whose constructor is ``(*args, **kwargs)``."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 16, num_layers=2, batch_first=True)

    def forward(self, x):
        out, _ = self.rnn(x)
        return out


class Functional(nn.Module):
    """Functions torch.nn.functional alone has (F.pad, F.linear of its own weight,
    F.scaled_dot_product_attention), and subscripts (`x[:, 1:]`, `x[..., 0]`, `x[:, None]`)."""

    def __init__(self, width: int = 8):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(width, width + 2))
        self.qkv = nn.Linear(width, 3 * width)

    def forward(self, x):
        x = nn.functional.linear(nn.functional.pad(x, (1, 1)), self.weight)
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        return y[:, 1:].mean(-1) + y[..., 0][:, 1:] + y[:, None].sum((1, 2))[:, :1]


class Embedded(nn.Module):
    """F.embedding of its own table (torch.embedding takes its arguments in another order),
    then F.normalize."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(10, 4))

    def forward(self, x):
        return nn.functional.normalize(nn.functional.embedding(x, self.weight), dim=-1)


class Operators(nn.Module):
    """Python's operators on tensors and numbers, tensor methods torch has no function of, and
    a torch.return_types field: the forms user code writes most."""

    def __init__(self, width: int = 5):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        h = self.fc(x)
        scaled = -h * h.size(-1) ** -0.5 + (1 - h) ** 2 + 1 / (h.abs() + 1)
        gated = torch.where(h > 0, scaled, h * 0.1).masked_fill(h < -1, 0.0)
        y = gated.float().type_as(x).repeat(1, 2, 1).squeeze(0)
        top = y.max(dim=-1).values.unsqueeze(-1).expand_as(y)
        return nn.functional.interpolate(y - top, scale_factor=2.0)


class BatchNormAct(nn.BatchNorm1d):
    """timm's BatchNormAct2d's way: its own running statistics read with F.batch_norm, then
    an activation child."""

    def __init__(self, features: int):
        super().__init__(features)
        self.act = nn.ReLU()

    def forward(self, x):
        x = nn.functional.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.1, self.eps
        )
        return self.act(x)


class BatchNormed(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 8)
        self.bn = BatchNormAct(8)
        self.register_buffer("mask", torch.ones(8, dtype=torch.bool), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)).masked_fill(self.mask, 0.0)


class PassAlong(nn.Sequential):
    """An nn.Sequential subclass with a forward of its own (timm's SequentialTuple): a unit
    whose children are named 0, 1."""

    def forward(self, x):
        for m in self:
            x = m(x)
        return x


class Along(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = PassAlong(nn.Linear(8, 8), nn.Linear(8, 8))

    def forward(self, x):
        return self.blocks(x)


class Listed(nn.Module):
    """Decides on its input's type while traced (a Proxy is no list), so its traced graph
    fails on the list it is given: torch's message runs over many lines."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        if not isinstance(x, list):
            x = [x]
        return [self.fc(x[0]), x[0]]


class Lister(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Listed()
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.block([x])[0])


class Chained(nn.Module):
    """The same decision in two entries of a Sequential: the spec written can't run."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(Listed(), Listed())

    def forward(self, x):
        return self.features(x)[0]


class Standardized(nn.Conv2d):
    """timm's ScaledStdConv2d's way: its weight standardized with F.batch_norm of no running
    statistics (running_mean=None is the call's, not a default)."""

    def forward(self, x):
        w = nn.functional.batch_norm(
            self.weight.reshape(1, self.out_channels, -1), None, None, training=True, eps=1e-6
        ).reshape_as(self.weight)
        return nn.functional.conv2d(x, w, self.bias)


class StandardizedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = Standardized(3, 8, 3)

    def forward(self, x):
        return self.conv(x)


class Grid(nn.Module):
    """Given its input's sizes as a tuple (edgenext's positional encoding, `self.pos((B, H,
    W))`): folded into its block."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x, shape):
        b, n, c = shape
        return self.fc(x).reshape(b, n, c)


class Gridded(nn.Module):
    def __init__(self):
        super().__init__()
        self.grid = Grid()

    def forward(self, x):
        return x + self.grid(x, x.shape)


class Patches(nn.Module):
    """Returns its tokens and their grid's sizes (xcit's patch embedding): a block's output
    is tensors, so this one stays the user's class."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 2, 2)

    def forward(self, x):
        x = self.conv(x)
        return x.flatten(2).transpose(1, 2), (x.shape[2], x.shape[3])


class Patched(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = Patches()
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x, (h, w) = self.embed(x)
        return self.head(x.reshape(x.shape[0], h, w, -1))


class Sized(nn.Module):
    """A block its parent gives the token count as well (pvt's `blk(x, H, W)`)."""

    def __init__(self, width: int):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x, tokens: int, scale=None):
        return self.fc(x).reshape(-1, tokens, x.shape[-1])


class SizedStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Sized(8), Sized(8)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x, x.shape[1], scale=None)
        return x


class LeafStack(nn.Module):
    """ModuleList entries of torch's own given more than their input (a hidden state of None):
    no block of the model's folds it in."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.RNNCell(8, 8), nn.RNNCell(8, 8)])

    def forward(self, x):
        for cell in self.blocks:
            x = cell(x, None)
        return x


class Laid(nn.Module):
    """`.contiguous()` after a permute (pvt's stage output, ShuffleNet's shuffle): a copy the
    next convolution's bits depend on; of a tensor already contiguous, nothing."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        y = x.contiguous().permute(0, 3, 1, 2).contiguous()
        return self.conv(y)
