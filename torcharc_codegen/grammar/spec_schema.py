"""The rest of the spec's grammar: Sequential, the compact form, example inputs and the graph."""

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


def sequential() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["Sequential"],
        "properties": {
            "Sequential": {
                "title": "Sequential([layer, ...])",
                "description": "nn.Sequential of these layers, in order, indexed 0, 1, 2, ... "
                "(parameter names are `name.0.weight`, ...).",
                "type": "array",
                "items": {"$ref": "#/definitions/layer"},
            }
        },
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
                                "description": "A torch.nn class name.",
                                "type": "string",
                                "enum": names,
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


def graph() -> dict:
    name = {"type": "string", "description": "a node or input name"}
    names = {"type": "array", "items": {"type": "string"}}
    return {
        "title": "graph",
        "description": "How the modules are called: the inputs, one node per module call, and "
        "the output.",
        "type": "object",
        "required": ["input", "modules", "output"],
        "properties": {
            "input": {
                "title": "input",
                "description": "The forward's parameters, in order: a name, a list of names, "
                "or a mapping of names to example inputs.",
                "anyOf": [
                    {"type": "string", "description": "one input name"},
                    {**names, "description": "a list of input names"},
                    {
                        "type": "object",
                        "description": "a mapping of input names to example inputs",
                        "additionalProperties": {"$ref": "#/definitions/exampleInput"},
                    },
                ],
            },
            "modules": {
                "title": "nodes",
                "description": "Node name -> its arguments. A node calls the module of the same "
                "name; `module~suffix` calls `module` again (shared weights).",
                "type": "object",
                "additionalProperties": {
                    "title": "arguments",
                    "description": "Positional: a list of node names (an inner list is passed as "
                    "one Python list). Keyword: a mapping of parameter name to node name.",
                    "anyOf": [
                        {
                            "type": "array",
                            "description": "positional arguments",
                            "items": {"anyOf": [name, names]},
                        },
                        {
                            "type": "object",
                            "description": "keyword arguments",
                            "additionalProperties": {"type": "string"},
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
