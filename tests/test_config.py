"""config.py on its own: ``[tool.torcharc-gen]`` in the nearest pyproject.toml, its keys read
and checked; a mistake is one message that starts with the pyproject's path."""

from __future__ import annotations

from pathlib import Path

import pytest

from torcharc_codegen.check import verify
from torcharc_codegen.cli.config import CHECKS, KEYS, Config, ConfigError, load_config


def project(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(f"[project]\nname = 'p'\n\n[tool.torcharc-gen]\n{table}")
    return folder / "pyproject.toml"


def problem(folder: Path, table: str) -> str:
    path = project(folder, table)
    with pytest.raises(ConfigError) as err:
        load_config(folder)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    return message[len(f"{path}: ") :]


def test_the_readmes_table_is_read_as_it_says(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("```toml\n[tool.torcharc-gen]\n", 1)[1].split("```", 1)[0]
    project(tmp_path, table)
    config = load_config(tmp_path)
    assert set(KEYS) == {line.split(" = ")[0] for line in table.splitlines()}
    assert (config.specs, config.output, config.imports) == (
        Path("specs"),
        Path("generated"),
        ("mypkg",),
    )
    assert config.numeric_budget == 4 * 10**9 and config.require == ("script",)


def test_the_keys_give_the_commands_defaults(tmp_path):
    project(
        tmp_path,
        'specs = "specs"\noutput = "gen"\nclass-name-style = "stem"\nimports = ["mypkg"]\n'
        'require = ["script", "export"]\nnumeric-budget = "4GB"\n',
    )
    assert load_config(tmp_path) == Config(
        specs=Path("specs"),
        output=Path("gen"),
        style="stem",
        imports=("mypkg",),
        require=("script", "export"),
        numeric_budget=4 * 10**9,
    )


def test_without_the_table_everything_is_the_default(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    config = load_config(tmp_path)
    assert config == Config()
    assert config.class_name("my_model") == "MyModel"


def test_the_class_name_style(tmp_path):
    project(tmp_path, 'class-name-style = "stem"\n')
    assert load_config(tmp_path).class_name("my_model") == "my_model"


def test_the_nearest_pyproject_counts_and_paths_are_relative_to_it(tmp_path):
    project(tmp_path, 'specs = "outer"\n')
    project(tmp_path / "inner", 'specs = "specs"\noutput = "gen"\n')
    deeper = tmp_path / "inner" / "pkg"
    deeper.mkdir()
    config = load_config(deeper)
    # shown relative to where the command runs when they are below it, else in full
    assert config.specs == (tmp_path / "inner" / "specs").resolve()
    assert load_config(tmp_path / "inner").specs == Path("specs")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'spec = "specs"\n',
            "[tool.torcharc-gen] has unknown key(s) spec; known: class-name-style, imports,"
            " numeric-budget, output, require, specs",
        ),
        ('class-name-style = "camel"\n', "class-name-style must be one of pascal, stem"),
        ('imports = "mypkg"\n', "imports must be a list of package names"),
        ('require = ["script", "jit"]\n', "require must be a list of checks, each one of"),
        ('numeric-budget = "lots"\n', "numeric-budget: 'lots' is not a size"),
    ],
)
def test_a_wrong_value_names_the_file_and_the_key(tmp_path, table, message):
    assert problem(tmp_path, table).startswith(message)


def test_toml_that_does_not_parse_is_located(tmp_path):
    message = problem(tmp_path, 'specs = "unclosed\n')
    assert message.startswith("can't read [tool.torcharc-gen]: ")
    assert "line 5" in message


def test_the_checks_a_project_may_require_are_verifys():
    assert CHECKS == verify.CHECKS
