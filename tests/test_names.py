"""names.py: one set of rules for every name (the spec's modules, inputs and nodes, the
generated class, the output file), used alike by validation, the API, the CLI and emit."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from torcharc_codegen import generate
from torcharc_codegen.check.runtime import import_in_memory
from torcharc_codegen.cli import main
from torcharc_codegen.errors import SpecError
from torcharc_codegen.names import (
    MODULE_ATTRIBUTES,
    class_name_problem,
    module_name_problem,
    name_problem,
    pascal_case,
)

RELU = {
    "modules": {"act": {"ReLU": None}},
    "graph": {"input": {"x": {"shape": [2, 3]}}, "modules": {"act": ["x"]}, "output": "act"},
}


def test_module_attributes_cover_every_public_attribute_of_nn_module():
    public = {n for n in set(dir(nn.Module)) | set(vars(nn.Module())) if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES


@pytest.mark.parametrize("name", ["torch", "nn", "self", "super", "list", "int"])
def test_a_module_may_have_a_name_the_file_reads(name):
    assert name_problem(name, "module") is None


@pytest.mark.parametrize("name", ["torch", "nn", "self"])
def test_an_input_may_not_hide_a_name_the_file_reads(name):
    problem = name_problem(name, "input")
    assert problem.startswith(f"input name '{name}' is reserved in the generated code")
    assert problem.endswith(": rename it")


def test_a_module_named_training_is_refused_saying_eval_sets_it():
    problem = name_problem("training", "module")
    assert "which .eval() and .train() set" in problem


@pytest.mark.parametrize("name", ["torch", "nn", "self", "super", "list", "print", "class", "2x"])
def test_class_names_that_break_the_generated_file_are_refused(name):
    assert class_name_problem(name) is not None


@pytest.mark.parametrize("name", ["torch", "nn", "super"])
def test_the_api_refuses_a_class_name_with_the_clis_reason(name, capsys, tmp_path):
    with pytest.raises(ValueError) as e:
        generate(copy.deepcopy(RELU), class_name=name)
    assert str(e.value) == f"class name {name!r} {class_name_problem(name)}: choose another"
    spec = tmp_path / "relu.yaml"
    spec.write_text(
        "modules: {act: {ReLU: }}\ngraph: {input: [x], modules: {act: [x]}, output: act}\n"
    )
    assert main([str(spec), "-o", str(tmp_path / "m.py"), "--class-name", name]) == 2
    assert class_name_problem(name) in capsys.readouterr().err


def test_an_output_file_named_torch_is_refused_and_other_stems_pass():
    assert module_name_problem("torch") is not None
    assert module_name_problem("my_model") is None
    assert pascal_case("my-model") == "MyModel"


def test_modules_named_torch_nn_and_self_generate_a_working_class():
    spec = {
        "modules": {
            "torch": {"Linear": {"in_features": 3, "out_features": 3}},
            "nn": {"Tanh": None},
            "self": {"Linear": {"in_features": 3, "out_features": 2}},
        },
        "graph": {
            "input": {"x": {"shape": [2, 3]}},
            "modules": {"torch": ["x"], "nn": ["torch"], "self": ["nn"]},
            "output": "self",
        },
    }
    source = generate(spec, verify=True)
    assert "self.torch = nn.Linear(in_features=3, out_features=3)" in source
    assert "torch_2 = self.torch(x)" in source
    model = import_in_memory(source).Model()
    assert sorted(model.state_dict()) == ["self.bias", "self.weight", "torch.bias", "torch.weight"]
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3)
    assert torch.equal(scripted(x), model(x))


def test_an_input_named_torch_is_refused_where_it_is():
    spec = copy.deepcopy(RELU)
    spec["graph"]["input"] = {"torch": {"shape": [2, 3]}}
    spec["graph"]["modules"] = {"act": ["torch"]}
    with pytest.raises(SpecError) as e:
        generate(spec)
    assert e.value.lines() == [
        "graph.input.torch: input name 'torch' is reserved in the generated code (forward's"
        " parameter would hide the torch module the generated file imports): rename it"
    ]
