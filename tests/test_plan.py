"""Planning the command's jobs: which spec goes to which output, with which class name."""

from __future__ import annotations

from pathlib import Path

import pytest

from torcharc_codegen.cli import plan
from torcharc_codegen.cli.config import Config
from torcharc_codegen.cli.parser import UsageError


@pytest.fixture
def specs(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("one.yaml", "a/two.yml", "a/two.yaml", ".hidden/x.yaml", "my-net.yaml"):
        (tmp_path / "specs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "specs" / name).write_text("modules: {}\n")
    return tmp_path / "specs"


def test_a_directory_mirrors_into_the_output_and_names_fail_alone(specs):
    jobs = {job.spec: job for job in plan.many("specs", "out", None, Config(), [])}
    assert sorted(jobs) == [
        "specs/a/two.yaml",
        "specs/a/two.yml",
        "specs/my-net.yaml",
        "specs/one.yaml",
    ], "hidden folders are left out"
    one = jobs["specs/one.yaml"]
    assert (one.output, one.class_name, one.problem) == ("out/one.py", "One", None)
    assert "rename the spec my_net.yaml" in jobs["specs/my-net.yaml"].problem
    for spec in ("specs/a/two.yaml", "specs/a/two.yml"):
        assert "has the same output out/a/two.py" in jobs[spec].problem


def test_the_class_name_style_of_the_configuration(specs):
    (job,) = [
        j for j in plan.many("specs", "out", None, Config(style="stem"), []) if "one" in j.spec
    ]
    assert job.class_name == "one"


@pytest.mark.parametrize(
    "output, class_name, params, message",
    [
        ("out.py", None, [], "-o must be a directory too"),
        ("out", "Net", [], "--class-name names one class"),
        ("out", None, ["a=1"], "--param sets one spec's parameters"),
    ],
)
def test_a_directory_refuses_one_file_options(specs, output, class_name, params, message):
    with pytest.raises(UsageError, match=message):
        plan.many("specs", output, class_name, Config(), params)


def test_one_spec(specs):
    job = plan.one("specs/one.yaml", "gen/my_model.py", None, Config())
    assert (job.class_name, job.problem) == ("MyModel", None)
    assert plan.one("-", "-", None, Config()).class_name == "Model"
    assert "can't be imported" in plan.one("specs/one.yaml", "my-model.py", None, Config()).problem
    with pytest.raises(UsageError, match="no spec file 'nope.yaml'"):
        plan.one("nope.yaml", "m.py", None, Config())
    with pytest.raises(UsageError, match="must be a .py file"):
        plan.one("specs/one.yaml", "m.txt", None, Config())


def test_a_spec_that_declares_its_class_names_it_and_class_name_has_the_last_word(specs):
    (specs / "resnet.yaml").write_text("class: ResNet\nmodules: {}\n")
    assert plan.one("specs/resnet.yaml", "resnet.py", None, Config()).class_name == "ResNet"
    assert plan.one("specs/resnet.yaml", "resnet.py", "Other", Config()).class_name == "Other"
    jobs = {job.spec: job for job in plan.many("specs", "out", None, Config(), [])}
    assert jobs["specs/resnet.yaml"].class_name == "ResNet"
    assert jobs["specs/one.yaml"].class_name == "One"


def test_a_declared_class_name_that_cant_be_one_is_located():
    from torcharc_codegen import SpecError, generate

    spec = "class: list\nmodules: {f: {ReLU: }}\ngraph: {input: x, modules: {f: [x]}, output: f}\n"
    with pytest.raises(SpecError) as e:
        generate(spec)
    (line,) = e.value.lines()
    assert line.startswith("<string>:1:8: class:") and "would hide Python's builtin" in line
    assert "class NetNine(nn.Module)" in generate(spec.replace("list", "NetNine"))
