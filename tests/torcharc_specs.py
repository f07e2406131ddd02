"""A hypothesis strategy for random valid TorchArc specs: many torch.nn classes, every helper
that keeps a (batch, features) tensor usable, and every graph form (positional, list and
keyword arguments, reuse with `~`, Sequential and compact modules, tuple and dict outputs).

Every node's result is a float tensor of shape (BATCH, features) (a fork's is a tuple of
them, read through `Get`), so each drawn module is valid for the node it is called on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

BATCH = 4
WIDTHS = st.integers(1, 8)
ACTIVATIONS = [
    "ReLU",
    "Tanh",
    "GELU",
    "ELU",
    "SELU",
    "Sigmoid",
    "SiLU",
    "Softplus",
    "Hardtanh",
    "Identity",
    "Softsign",
    "Mish",
    "Tanhshrink",
]
# (class, kwargs) that keep the shape, drawn with their own arguments
SHAPE_KEEPING = ["act", "leaky", "softmax", "dropout", "layernorm", "batchnorm", "lazybatchnorm"]
TORCH_FNS = [
    ("tanh", {}),
    ("relu", {}),
    ("sigmoid", {}),
    ("abs", {}),
    ("neg", {}),
    ("square", {}),
    ("clamp", {"min": -0.5, "max": 0.5}),
    ("softmax", {"dim": 1}),
    ("cumsum", {"dim": 1}),
    ("flip", {"dims": [1]}),
]


@dataclass
class _Graph:
    """The spec being drawn: modules, nodes, and each available value's width."""

    modules: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)
    widths: dict = field(default_factory=dict)  # tensor-valued name -> features
    forks: dict = field(default_factory=dict)  # tuple-valued node -> widths of its parts
    reusable: list = field(default_factory=list)  # (module, input width) callable again
    count: int = 0
    extended: bool = False  # also test_torcharc_forms.py's forms (test_differential draws them)

    def name(self, base: str) -> str:
        self.count += 1
        return f"{base}_{self.count}"


def _layer(draw, width: int) -> tuple[dict, int, bool]:
    """(one plain module spec, its output width, whether its input width is fixed)."""
    kind = draw(st.sampled_from(["linear", "lazylinear", *SHAPE_KEEPING]))
    if kind == "linear":
        out = draw(WIDTHS)
        bias = draw(st.booleans())
        return {"Linear": {"in_features": width, "out_features": out, "bias": bias}}, out, True
    if kind == "lazylinear":
        return {"LazyLinear": {"out_features": (out := draw(WIDTHS))}}, out, False
    if kind == "act":
        return {draw(st.sampled_from(ACTIVATIONS)): None}, width, False
    if kind == "leaky":
        slope = draw(st.sampled_from([0.01, 0.2]))
        return {"LeakyReLU": {"negative_slope": slope}}, width, False
    if kind == "softmax":
        return {draw(st.sampled_from(["Softmax", "LogSoftmax"])): {"dim": 1}}, width, False
    if kind == "dropout":
        return {"Dropout": {"p": draw(st.sampled_from([0.1, 0.5]))}}, width, False
    if kind == "layernorm":
        return {"LayerNorm": {"normalized_shape": width, "eps": 1e-5}}, width, True
    if kind == "batchnorm":
        return {"BatchNorm1d": {"num_features": width}}, width, True
    return {"LazyBatchNorm1d": None}, width, False


def _pick(draw, graph: _Graph, width: int | None = None) -> str:
    names = [n for n, w in graph.widths.items() if width is None or w == width]
    return draw(st.sampled_from(sorted(names)))


def _call(draw, src: str, param: str = "input") -> list | dict:
    """Positional, or by the forward parameter's name (`input` for torch.nn modules)."""
    return {param: src} if draw(st.booleans()) else [src]


def _add_module(draw, graph: _Graph) -> None:
    src = _pick(draw, graph)
    width = graph.widths[src]
    form = draw(st.sampled_from(["plain", "sequential", "compact"]))
    name = graph.name("m")
    if form == "plain":
        spec, out, fixed = _layer(draw, width)
        graph.modules[name] = spec
        graph.nodes[name] = _call(draw, src)
        if fixed or "Lazy" not in next(iter(spec)):
            graph.reusable.append((name, width))
    elif form == "sequential":
        layers, w = [], width
        for _ in range(draw(st.integers(1, 4))):
            spec, w, _fixed = _layer(draw, w)
            layers.append(spec)
        graph.modules[name] = {"Sequential": layers}
        graph.nodes[name] = [src]
        out = w
    else:
        rows = draw(st.lists(WIDTHS, min_size=1, max_size=3))
        compact: dict = {"layer": {"type": "LazyLinear", "keys": ["out_features"], "args": rows}}
        if draw(st.booleans()):
            compact["postlayer"] = [{draw(st.sampled_from(ACTIVATIONS)): None}]
        if draw(st.booleans()):
            compact["prelayer"] = [{"LazyBatchNorm1d": None}]
        graph.modules[name] = {"compact": compact}
        graph.nodes[name] = [src]
        out = rows[-1]
    graph.widths[name] = out


def _add_helper(draw, graph: _Graph) -> None:
    kind = draw(
        st.sampled_from(
            ["narrow", "index", "torchfn", "reduce", "concat", "same", "fork", "film", "reuse"]
            + (
                ["argreduce", "seqfork", "seqtuple", "empty", "oddreuse", "intfloat"]
                if graph.extended
                else []
            )
        )
    )
    name = graph.name(kind)
    src = _pick(draw, graph)
    width = graph.widths[src]
    if kind == "narrow":
        start = draw(st.integers(0, width - 1))
        length = draw(st.integers(1, width - start))
        graph.modules[name] = {"Narrow": {"dim": 1, "start": start, "length": length}}
        graph.nodes[name], graph.widths[name] = _call(draw, src, "x"), length
    elif kind == "index":
        index = draw(st.lists(st.integers(0, width - 1), min_size=1, max_size=4))
        graph.modules[name] = {"IndexSelect": {"dim": 1, "index": index}}
        graph.nodes[name], graph.widths[name] = [src], len(index)
    elif kind == "torchfn":
        fn, kwargs = draw(st.sampled_from(TORCH_FNS))
        graph.modules[name] = {"TorchFn": {"name": fn, **kwargs}}
        graph.nodes[name], graph.widths[name] = _call(draw, src), width
    elif kind == "reduce":
        fn = draw(st.sampled_from(["sum", "mean", "amax", "amin", "logsumexp"]))
        graph.modules[name] = {"Reduce": {"name": fn, "dim": 1, "keepdim": True}}
        graph.nodes[name], graph.widths[name] = [src], 1
    elif kind == "concat":
        srcs = [src] + [_pick(draw, graph) for _ in range(draw(st.integers(0, 2)))]
        graph.modules[name] = {"MergeConcat": {"dim": 1}}
        graph.nodes[name] = [srcs]
        graph.widths[name] = sum(graph.widths[s] for s in srcs)
    elif kind == "same":
        merge = draw(st.sampled_from(["MergeSum", "MergeMean", "MergeProd"]))
        srcs = [src] + [_pick(draw, graph, width) for _ in range(draw(st.integers(1, 2)))]
        graph.modules[name] = {merge: {"dim": 1}}
        graph.nodes[name], graph.widths[name] = [srcs], width
    elif kind == "fork" and width >= 2:
        if draw(st.booleans()) and width % 2 == 0:
            graph.modules[name] = {"ForkChunk": {"chunks": 2, "dim": 1}}
            parts = [width // 2, width // 2]
        else:
            first = draw(st.integers(1, width - 1))
            graph.modules[name] = {"ForkSplit": {"split_size_or_sections": [first, width - first]}}
            parts = [first, width - first]
        graph.nodes[name] = [src]
        graph.forks[name] = parts
        for key in sorted(set(draw(st.lists(st.integers(0, 1), min_size=1, max_size=2)))):
            get = graph.name("get")
            graph.modules[get] = {"Get": {"key": key}}
            graph.nodes[get], graph.widths[get] = [name], parts[key]
    elif kind == "film":
        cond = _pick(draw, graph)
        dims = {"feature_dim": width, "conditioner_dim": graph.widths[cond]}
        graph.modules[name] = {"MergeFiLM": dims}
        graph.nodes[name] = {"feature": src, "conditioner": cond}
        graph.widths[name] = width
    elif kind == "intfloat":  # an int where torch's signature says float
        if draw(st.booleans()):
            graph.modules[name] = {"Dropout": {"p": draw(st.sampled_from([0, 1]))}}
            graph.widths[name] = width
        else:
            graph.modules[name] = {"ConstantPad1d": {"padding": 1, "value": -1}}
            graph.widths[name] = width + 2
        graph.nodes[name] = [src]
    elif kind == "argreduce":  # (values, indices), read through Get
        fn = draw(st.sampled_from(["max", "min", "median"]))
        graph.modules[name] = {"Reduce": {"name": fn, "dim": 1, "keepdim": True}}
        graph.nodes[name] = [src]
        graph.forks[name] = [1, 1]
        get = graph.name("get")
        graph.modules[get] = {"Get": {"key": 0}}
        graph.nodes[get], graph.widths[get] = [name], 1
    elif kind == "seqfork" and width % 2 == 0:  # a fork and Get inside one Sequential
        key = draw(st.integers(0, 1))
        layers = [{"ForkChunk": {"chunks": 2, "dim": 1}}, {"Get": {"key": key}}]
        graph.modules[name] = {"Sequential": layers}
        graph.nodes[name], graph.widths[name] = [src], width // 2
    elif kind == "seqtuple":  # a Get in a Sequential after a layer returning a tuple, no fork
        if draw(st.booleans()):
            rnn = draw(st.sampled_from(["LSTM", "GRU", "RNN"]))
            out = draw(WIDTHS)
            first = {rnn: {"input_size": width, "hidden_size": out}}  # (L, width): unbatched
        else:
            out = draw(st.integers(1, width))
            first = {"TorchFn": {"name": "topk", "k": out}}
        layers = [first, {"Get": {"key": 0}}]
        graph.modules[name] = {"Sequential": layers}
        graph.nodes[name], graph.widths[name] = [src], out
    elif kind == "empty":  # TorchArc builds an empty Sequential as an identity
        graph.modules[name] = {"Sequential": []}
        graph.nodes[name], graph.widths[name] = [src], width
    elif kind == "oddreuse":  # a module named like an input; suffixes that aren't identifiers
        inputs = sorted(n for n in graph.widths if n.startswith("x") and "~" not in n)
        module = draw(st.sampled_from(inputs))
        if module not in graph.modules:
            graph.modules[module] = {"Tanh": None}
            suffix = draw(st.sampled_from(["A-b", "ü", "1", "a.b"]))
            graph.nodes[f"{module}~{suffix}"] = [module]
            graph.widths[f"{module}~{suffix}"] = graph.widths[module]
    elif kind == "reuse" and graph.reusable:
        module, in_width = draw(st.sampled_from(graph.reusable))
        matching = [n for n, w in graph.widths.items() if w == in_width and n != module]
        if matching:
            node = f"{module}~{graph.name('again')}"
            graph.nodes[node] = [draw(st.sampled_from(sorted(matching)))]
            graph.widths[node] = graph.widths[module]


@st.composite
def torcharc_specs(draw, extended: bool = False) -> tuple[dict, dict]:
    """(spec with example inputs for us, the same spec in TorchArc's plain form)."""
    graph = _Graph(extended=extended)
    inputs = {}
    for i in range(draw(st.integers(1, 2))):
        width = draw(WIDTHS)
        inputs[f"x{i}"] = {"shape": [BATCH, width]}
        graph.widths[f"x{i}"] = width
    for _ in range(draw(st.integers(1, 7))):
        if draw(st.booleans()):
            _add_module(draw, graph)
        else:
            _add_helper(draw, graph)
    if not graph.nodes:
        _add_module(draw, graph)
    nodes = [n for n in graph.nodes if n in graph.widths]
    form = draw(st.sampled_from(["one", "tuple", "dict"]))
    last = nodes[-1]
    if form == "one":
        output: object = last
    elif graph.forks and extended and draw(st.booleans()):  # a tuple-valued output
        output = {"main": last, "parts": draw(st.sampled_from(sorted(graph.forks)))}
    else:
        chosen = sorted(set(draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3))))
        chosen = [last] + [n for n in chosen if n != last]
        output = chosen if form == "tuple" else {f"out_{n}": n for n in chosen}
    plain = {
        "modules": graph.modules,
        "graph": {"input": list(inputs), "modules": graph.nodes, "output": output},
    }
    ours = {
        "modules": graph.modules,
        "graph": {"input": inputs, "modules": graph.nodes, "output": output},
    }
    return ours, plain
