"""The rest of the spec's grammar: Sequential and its entries (repeat entries, block uses),
blocks, the compact form, example inputs and the graph."""

from __future__ import annotations

from .params_schema import or_param_ref

DTYPES = [
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
]


# A Python identifier: a block's name, an entry's name in a named Sequential.
IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
# A block use's class key: `.` and the block's name (no torch.nn or helper class starts so).
BLOCK_USE_PATTERN = r"^\.[A-Za-z_][A-Za-z0-9_]*$"
# A repeat entry's name in a named Sequential: an identifier with `{i}` in it once.
REPEAT_NAME_PATTERN = r"^[A-Za-z0-9_-]*\{i\}[A-Za-z0-9_-]*$"
# A named Sequential's entry: a name add_module takes (no `.`), of letters, digits, _ and -
# (torchvision's RegNet names its blocks `block1-0`).
ENTRY_NAME_PATTERN = "^[A-Za-z0-9_-]+$"
# Names whose use, `.inf` or `.NaN`, YAML reads as a float, not as a string key.
YAML_FLOAT_NAMES = ["inf", "Inf", "INF", "nan", "NaN", "NAN"]


def sequential() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["Sequential"],
        "properties": {
            "Sequential": {
                "title": "Sequential([entry, ...] or {name: entry, ...})",
                "description": "nn.Sequential of these entries, in order. A list is indexed 0, "
                "1, 2, ... (parameter names `name.0.weight`, ...); a mapping names its entries "
                "(`name.conv0.weight`, as `nn.Sequential(OrderedDict(...))`); `{}`, `[]` or "
                "null is an empty Sequential. An entry is a class with its arguments, a block "
                "use `.Name`, a nested `Sequential`, or a repeat entry `{repeat: N, module: "
                "...}`. A named repeat entry's name has `{i}` in it, `denselayer{i}`.",
                # A title per form and no description: an editor's hover shows the first of
                # each among the schemas a value matches, the form's title and this description.
                "anyOf": [
                    {
                        "title": "Sequential([entry, ...])",
                        "type": "array",
                        "items": {"$ref": "#/definitions/entry"},
                    },
                    {
                        "title": "Sequential({name: entry, ...})",
                        "type": "object",
                        "patternProperties": {
                            ENTRY_NAME_PATTERN: {"$ref": "#/definitions/entryModule"},
                            REPEAT_NAME_PATTERN: {"$ref": "#/definitions/repeat"},
                        },
                        "additionalProperties": False,
                    },
                    {"title": "Sequential() (empty)", "type": "null"},
                ],
            }
        },
    }


def repeat() -> dict:
    return {
        "title": "repeat entry",
        "description": "`module` built `repeat` times, as consecutive entries of the Sequential "
        "(`layer1.1`, `layer1.2`, ...; in a named Sequential, `{i}` in the entry's name is the "
        "copy's index). Inside `module`'s arguments `${i}` is the copy's index: `start`, "
        "`start + 1`, ...",
        "type": "object",
        "additionalProperties": False,
        "required": ["repeat", "module"],
        "properties": {
            "repeat": {
                "title": "repeat",
                "description": "How many copies: an int >= 0 (0: none) or a `${...}` of the "
                "enclosing params, `${depth - 1}`.",
                "anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/definitions/paramRef"}],
            },
            "module": {"$ref": "#/definitions/entryModule"},
            "start": {
                "title": "start",
                "description": "The first copy's index `i` (then `start + 1`, ...), in `${i}` "
                "and in a named entry's `{i}`.",
                "type": "integer",
                "default": 0,
            },
        },
    }


def block_use() -> dict:
    use = {
        "title": "block use `.Name: {params}`",
        "description": "An instance of the block `Name` defined under `blocks:`. Its arguments "
        "are the block's params (null: all their defaults); a value is a literal or a `${...}` "
        "of the enclosing params. Whether the block exists and takes these arguments is "
        "torcharc-gen's check.",
    }
    # The block's name is a pattern, not a property: the arguments are checked only under a
    # `.Name` key, so a half-typed class name scores no better here than under the classes'
    # branches, and an editor still completes the classes beside it.
    return {
        **use,
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "patternProperties": {BLOCK_USE_PATTERN: {**use, "type": ["object", "null"]}},
        "additionalProperties": False,
    }


def block(params: dict) -> dict:
    """A block definition; ``params`` is the schema of its ``params:``."""
    return {
        "title": "block",
        "description": "A module of the spec's own, defined once and used by name as `.Name` "
        "wherever a class goes: its own `params` (the arguments a use passes), `modules` and "
        "`graph`, as a spec. It becomes a class of that name in the generated file.",
        "type": "object",
        "additionalProperties": False,
        "required": ["modules", "graph"],
        "properties": {
            "params": params,
            "modules": modules(
                "The block's modules: module name -> module spec, as the spec's `modules`; a "
                "`${...}` here names the block's params."
            ),
            "graph": {"$ref": "#/definitions/blockGraph"},
            "keep": keep(),
        },
    }


def keep() -> dict:
    return {
        "title": "keep",
        "description": "Modules built (so in the state_dict) though no node calls them, e.g. "
        "a training-only head whose weights a checkpoint holds (a torcharc-gen extension; "
        "TorchArc leaves out every module no node calls).",
        "type": "array",
        "items": {"type": "string"},
    }


def blocks() -> dict:
    return {
        "title": "blocks",
        "description": "The spec's own modules (a torcharc-gen extension): block name -> "
        "definition (`params`, `modules`, `graph`). Use one as `.Name: {its params}` wherever a "
        "class goes: a module, a Sequential entry, compact's `layer.type`, another block. A "
        "name is a Python identifier; the generated file defines one class per block.",
        "type": "object",
        "propertyNames": {
            "type": "string",
            "pattern": IDENTIFIER_PATTERN,
            "not": {"enum": YAML_FLOAT_NAMES},
        },
        "additionalProperties": {"$ref": "#/definitions/block"},
    }


def modules(description: str) -> dict:
    return {
        "title": "modules",
        "description": description,
        "type": "object",
        "additionalProperties": {"$ref": "#/definitions/module"},
    }


def compact(names: list[str]) -> dict:
    layers = {"type": ["array", "null"], "items": {"$ref": "#/definitions/layer"}}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["compact"],
        "properties": {
            "compact": {
                "title": "compact(prelayer, layer, postlayer)",
                "description": "Expands into one flat Sequential: for each row of `layer.args`, "
                "the prelayers, then `type(**dict(zip(keys, row)))`, then the postlayers.",
                "type": "object",
                "required": ["layer"],
                "properties": {
                    "prelayer": {
                        **layers,
                        "title": "prelayer",
                        "description": "Layers repeated before each layer.",
                    },
                    "layer": {
                        "title": "layer",
                        "description": "The layer repeated once per row of `args`.",
                        "type": "object",
                        "required": ["type", "keys", "args"],
                        "properties": {
                            "type": {
                                "title": "type",
                                "description": "A torch.nn class name, or a block use `.Name`.",
                                "type": "string",
                                "anyOf": [
                                    {"type": "string", "enum": names},
                                    {"type": "string", "pattern": BLOCK_USE_PATTERN},
                                ],
                            },
                            "keys": {
                                "title": "keys",
                                "description": "The keyword argument names.",
                                "type": "array",
                                "items": {"type": "string"},
                            },
                            "args": {
                                "title": "args",
                                "description": "One row per layer: values for `keys`, in "
                                "order; a scalar row v means [v]. A value may be a parameter, "
                                "`${width}`.",
                                "type": "array",
                                "items": {},
                            },
                        },
                    },
                    "postlayer": {
                        **layers,
                        "title": "postlayer",
                        "description": "Layers repeated after each layer.",
                    },
                },
            }
        },
    }


def example_input() -> dict:
    return {
        "title": "example input",
        "description": "An example tensor for this input (a torcharc-gen extension): sizes "
        "are inferred, shapes written into the code, and the checks run on it.",
        "type": "object",
        "additionalProperties": False,
        "required": ["shape"],
        "properties": {
            "shape": {
                "title": "shape",
                "description": "The tensor's shape, e.g. [4, 3, 32, 32]; an entry may be a "
                "parameter, `${batch}`.",
                "type": "array",
                "items": or_param_ref({"type": "integer", "minimum": 0}),
            },
            "dtype": {
                "title": "dtype",
                "description": "The tensor's dtype.",
                "type": "string",
                "enum": DTYPES,
                "default": "float32",
            },
            "low": {
                "title": "low",
                "description": "Integers are drawn from [low, high) (low "
                "defaults to 0); floats are uniform in [low, high) when both are given.",
                "type": "number",
            },
            "high": {
                "title": "high",
                "description": "Upper bound (exclusive); required for "
                "integer dtypes, e.g. an embedding's num_embeddings.",
                "type": "number",
            },
        },
    }


def graph(example_inputs: bool = True) -> dict:
    """The top-level graph, or a block's (``example_inputs=False``: the uses give the shapes)."""
    name = {"type": "string", "description": "a node or input name"}
    names = {"type": "array", "items": {"type": "string"}}
    inputs = [
        {"type": "string", "description": "one input name"},
        {**names, "description": "a list of input names"},
    ]
    if example_inputs:
        inputs.append(
            {
                "type": "object",
                "description": "a mapping of input names to example inputs",
                "additionalProperties": {"$ref": "#/definitions/exampleInput"},
            }
        )
        inputs_doc = "a name, a list of names, or a mapping of names to example inputs."
    else:
        inputs_doc = "a name or a list of names (no example inputs: each use's inputs give the "
        inputs_doc += "shapes)."
    return {
        "title": "graph" if example_inputs else "block graph",
        "description": "How the modules are called: the inputs, one node per module call, and "
        "the output." + ("" if example_inputs else " The block's forward."),
        "type": "object",
        "required": ["input", "modules", "output"],
        "properties": {
            "input": {
                "title": "input",
                "description": "The forward's parameters, in order: " + inputs_doc,
                "anyOf": inputs,
            },
            "modules": {
                "title": "nodes",
                "description": "Node name -> its arguments. A node calls the module of the same "
                "name; `module~suffix` calls `module` again (shared weights).",
                "type": "object",
                "additionalProperties": {
                    "title": "arguments",
                    "description": "Positional: a list of node names (an inner list is passed as "
                    "one Python list). Keyword: a mapping of parameter name to node name, or to "
                    "a constant (a boolean or a number: `need_weights: false`).",
                    "anyOf": [
                        {
                            "type": "array",
                            "description": "positional arguments",
                            "items": {"anyOf": [name, names]},
                        },
                        {
                            "type": "object",
                            "description": "keyword arguments",
                            "additionalProperties": {
                                "anyOf": [
                                    {"type": "string", "description": "a node name"},
                                    {
                                        "type": "boolean",
                                        "description": "a constant (a torcharc-gen extension)",
                                    },
                                    {
                                        "type": "number",
                                        "description": "a constant (a torcharc-gen extension)",
                                    },
                                ]
                            },
                        },
                    ],
                },
            },
            "output": {
                "title": "output",
                "description": "One node name, a list (returned as a tuple) or a mapping "
                "(returned as a dict).",
                "anyOf": [
                    {"type": "string", "description": "one node name"},
                    {**names, "description": "a list of node names (a tuple)"},
                    {
                        "type": "object",
                        "description": "a mapping of output keys to node names (a dict)",
                        "additionalProperties": {"type": "string"},
                    },
                ],
            },
        },
    }
