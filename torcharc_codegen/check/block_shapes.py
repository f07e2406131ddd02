"""The shapes of each block's code, merged over the block's uses, for the shape probe
(shapes.py) to hand the emitter with the model's own.

One class serves every use of a block, so its comments and docstring show what all the uses
agree on: a dimension that differs between them is the block param it equals in each, else
``*``. A Lazy layer in a block becomes its concrete class where every use infers the same
sizes; where they differ, the block's class takes those sizes as arguments (lifted) and each
use passes its own.
"""

from __future__ import annotations

import contextlib

from ..codegen.code import Code, Shapes
from ..errors import SpecError
from ..spec.literals import Expression
from ..spec.model import Model, shape_text
from . import lazy_layers
from .runtime import describe, short, structure


@contextlib.contextmanager
def block_calls(module, code: Code):
    """Record every call of each block's class: block -> the scope of each call (its
    forward's variables), run one statement at a time as run_forward runs the model's."""
    calls: dict[str, list] = {name: [] for name in code.blocks}
    saved = {}
    for name, block in code.blocks.items():
        cls = getattr(module, block.class_name)
        saved[cls] = cls.forward
        cls.forward = _recording(module, block, calls[name])
    try:
        yield calls
    finally:
        for cls, forward in saved.items():
            cls.forward = forward


def _recording(module, block, record: list):
    filename = module.__file__
    statements = [compile(s.source, filename, "exec") for s in block.statements]
    output = compile(block.output, filename, "eval")

    def forward(self, *args, **kwargs):
        scope = dict(vars(module))
        scope.update({block.variables[n]: v for n, v in zip(block.inputs, args, strict=False)})
        scope.update({block.variables[n]: v for n, v in kwargs.items()})
        scope["self"] = self
        for statement in statements:
            exec(statement, scope)  # noqa: S102 - our own code
        scope["__return__"] = eval(output, scope)  # noqa: S307
        record.append(scope)
        return scope["__return__"]

    return forward


def block_shapes(
    module, instance, model: Model, code: Code, calls: dict, names, bigger=None, batch=None
) -> tuple[dict[str, Shapes], dict[tuple, dict]]:
    """Per block, what every use of it agrees on: each node's shape (a dimension that differs
    between uses written ``*``), its inputs', the structure of its values, and the sizes its
    Lazy layers inferred."""
    out = {}
    for name, block in model.blocks.items():
        bc = code.blocks[name]
        scopes = calls.get(name, [])
        if not scopes:
            continue
        more = (bigger or {}).get(name) or [None] * len(scopes)
        named = names.blocks.get(name) or []
        if len(named) != len(scopes):
            named = [({}, {}, {})] * len(scopes)

        def merged(var, node, which, scopes=scopes, more=more, named=named):
            texts = [
                describe(sc[var], (b or {}).get(var), batch, n[which].get(node))
                for sc, b, n in zip(scopes, more, named, strict=True)
            ]
            return short(_merge_texts(texts, [n[2] for n in named]))

        shapes = Shapes()
        shapes.inputs = {n: merged(bc.variables[n], n, 0) for n in block.inputs}
        shapes.comments = {n.name: merged(bc.variables[n.name], n.name, 1) for n in block.nodes}
        structures = {
            n.name: {repr(structure(sc[bc.variables[n.name]])) for sc in scopes}
            for n in block.nodes
        }
        shapes.values = {
            n.name: structure(scopes[0][bc.variables[n.name]])
            for n in block.nodes
            if len(structures[n.name]) == 1
        }
        kind, items = block.outputs()
        lines = ["Inputs:", *(f"    {n}: {t}" for n, t in shapes.inputs.items())]
        if kind == "single":
            lines.append(f"Output: {items[0][1]} {shapes.comments[items[0][1]]}")
        else:
            lines.append(f"Outputs (a {kind}):")
            lines += [
                f"    {n if kind == 'tuple' else repr(k)}: {shapes.comments[n]}" for k, n in items
            ]
        if any("*" in t for t in [*shapes.inputs.values(), *shapes.comments.values()]):
            lines.append(f"(*: a size that differs between its {len(scopes)} uses)")
        shapes.docstring = lines
        out[name] = shapes
    top = Shapes()
    for name, block in model.blocks.items():
        if name in out:
            _resolve_lazy(name, block, model, module, instance, code, out, top)
    return out, top.block_args


def _merge_texts(texts: list[str], args: list[dict]) -> str:
    """One shape text for a block's uses (``args``: each use's int params, as the shapes
    write them): per dimension, the one they share, else the block param it equals in every
    use (``planes``), else ``*``; "varies between uses" where they aren't tensors of one rank
    and dtype."""
    import re

    parsed = [re.fullmatch(r"\(([^()]*)\)( \w+)?", t) for t in texts]
    if not all(parsed) or len({m.group(2) for m in parsed}) != 1:
        return texts[0] if len(set(texts)) == 1 else "varies between uses"
    dims = [m.group(1).rstrip(",").split(", ") if m.group(1) else [] for m in parsed]
    if len({len(d) for d in dims}) != 1:
        return "varies between uses"
    merged = []
    for column in zip(*dims, strict=True):
        same = len(set(column)) == 1
        if same and (column[0].isdigit() or column[0] == "B"):
            merged.append(column[0])
            continue
        params = [
            p for p in (args[0] if args else {}) if all(a.get(p) == d for a, d in zip(args, column))
        ]
        merged.append(params[0] if params else column[0] if same and not args else "*")
    return shape_text(tuple(merged), (parsed[0].group(2) or " float32").strip())


def _resolve_lazy(name, block, model, module, instance, code, blocks, top) -> None:
    """The sizes each Lazy layer of block ``name`` inferred: written in the block where every
    use agrees; else the block takes them as arguments (``fc_in_features: int``) and each use
    passes its own (``block_args`` of the model's or the using block's Shapes). The copies of
    one repeated entry (one line of code) must agree."""
    owners = {None: (model, [instance], top)}
    for other, b in model.blocks.items():
        if other in blocks:
            cls = getattr(module, code.blocks[other].class_name)
            owners[other] = (b, [m for m in instance.modules() if type(m) is cls], blocks[other])
    sites = []  # (owner's Shapes, module, entry, [(concrete, inferred) at each instance])
    for owner, (owner_model, owner_instances, shapes) in owners.items():
        for mname, mod in owner_model.modules.items():
            for i, layer in enumerate(mod.layers):
                if layer.cls.kind == "block" and layer.cls.attr == name:
                    built = [b for inst in owner_instances for b in _built_copies(inst, mod, i)]
                    sites.append((shapes, mname, i, built, layer))
    mine = blocks[name]
    for mname, mod in block.modules.items():
        for i, layer in enumerate(mod.layers):
            if not layer.cls.lazy or layer.repeat is not None:
                continue
            per_site = [
                [
                    c
                    for b in built
                    if (c := lazy_layers.inferred(lazy_layers.built(b, mod, i), layer)) is not None
                ]
                for _, _, _, built, _ in sites
            ]
            found = [c for cs in per_site for c in cs]
            if not found:
                continue
            cls = found[0][0]
            differ = {k for c in found for k, v in c[1].items() if v != found[0][1].get(k)}
            fixed = {k: v for k, v in found[0][1].items() if k not in differ}
            if not differ:
                mine.concrete[(mname, i)] = (cls, fixed)
                continue
            prefix = mname if not mod.sequential else f"{mname}_{i}"
            lifted = {k: f"{prefix}_{k}" for k in sorted(differ)}
            mine.concrete[(mname, i)] = (
                cls,
                {**fixed, **{k: Expression(found[0][1][k], p) for k, p in lifted.items()}},
            )
            for k, p in lifted.items():
                mine.lifted[p] = f"the `{k}` of `{mname}`, inferred at each use"
            for (shapes, owner_module, entry, _, use), cs in zip(sites, per_site, strict=True):
                values = {repr({k: c[1][k] for k in lifted}) for c in cs}
                if len(values) > 1:
                    what = (
                        f"the Lazy layer `{mname}` of block {block.name} infers other sizes"
                        " where this one line builds it more than once (a repeated entry, or"
                        " a block used in several places): write the sizes, as params"
                    )
                    raise SpecError([model.problem(use.path, what)], model.source_name)
                if cs:
                    args = shapes.block_args.setdefault((owner_module, entry), {})
                    args.update({p: cs[0][1][k] for k, p in lifted.items()})


def _built_copies(owner, module, index: int) -> list:
    """The modules entry ``index`` of ``module`` built in ``owner`` (a repeated entry's
    copies)."""
    sub = getattr(owner, module.name, None)
    if sub is None:
        return []
    if not module.sequential:
        return [sub]
    start = sum(entry.count() for entry in module.layers[:index])
    return list(sub)[start : start + module.layers[index].count()]
