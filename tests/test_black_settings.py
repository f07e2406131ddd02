"""Generated code is formatted with the settings black itself would use for the output path
([tool.black], else ruff's line-length), so black or `ruff format` beside the generator never
re-wraps a generated file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import black
import pytest
from shared_specs import WIDE

from torcharc_codegen.api import load_model
from torcharc_codegen.cli import main
from torcharc_codegen.codegen import black_settings
from torcharc_codegen.codegen.black_settings import describe, for_output
from torcharc_codegen.codegen.emit import Header, draft, format_big, format_source
from torcharc_codegen.codegen.provenance import VERSION_PREFIX

pytestmark = pytest.mark.slow  # black and ruff run on generated files

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "generated_examples").rglob("*.yaml"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A repository root (black stops at .git) with no user-level black configuration."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-user-config"))
    (tmp_path / ".git").mkdir()
    (tmp_path / "models").mkdir()
    black_settings.clear_cache()
    yield tmp_path
    black_settings.clear_cache()


def settings_at(project: Path):
    black_settings.clear_cache()
    return for_output(project / "models" / "m.py")


def test_black_table_line_length_targets_and_magic_trailing_comma(project):
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.black]
        line-length = 100
        target-version = ["py311"]
        skip-magic-trailing-comma = true
        skip-string-normalization = true
        [tool.ruff]
        line-length = 120
        """))
    settings = settings_at(project)
    assert settings.mode.line_length == 100
    assert settings.mode.target_versions == {black.TargetVersion.PY311}
    assert not settings.mode.magic_trailing_comma and not settings.mode.string_normalization
    assert describe(settings.mode) == "-l 100 -t py311 -C -S"
    assert settings.source == f"{project / 'pyproject.toml'} [tool.black]"


@pytest.mark.skipif(
    tuple(int(x) for x in black.__version__.split(".")[:2]) < (23, 1),
    reason="black infers target versions from requires-python since 23.1",
)
def test_target_versions_inferred_from_requires_python_as_black_does(project):
    (project / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.10"\n[tool.black]\nline-length = 100\n'
    )
    mode = settings_at(project).mode
    assert min(v.value for v in mode.target_versions) == black.TargetVersion.PY310.value
    assert describe(mode) == "-l 100 -t py310+"


def test_without_black_table_ruffs_closest_configuration(project):
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    settings = settings_at(project)
    assert settings.mode.line_length == 120
    assert settings.source == f"{project / 'pyproject.toml'} (ruff)"
    (project / "models" / "ruff.toml").write_text(
        "line-length = 110\n[format]\nskip-magic-trailing-comma = true\n"
    )
    assert describe(settings_at(project).mode) == "-l 110 -C"
    (project / "models" / ".ruff.toml").write_text("line-length = 99\n")
    assert describe(settings_at(project).mode) == "-l 99"


def test_no_configuration_is_blacks_defaults(project):
    assert describe(settings_at(project).mode) == ""
    (project / "pyproject.toml").write_text("[tool.isort]\nprofile = 'black'\n")
    assert settings_at(project).mode == black.Mode()


def test_a_bad_setting_is_one_line_and_exit_2(project, monkeypatch, capsys):
    (project / "pyproject.toml").write_text('[tool.black]\ntarget-version = ["py2"]\n')
    (project / "wide.yaml").write_text(WIDE)
    monkeypatch.chdir(project)
    assert main(["wide.yaml", "-o", "models/m.py", "--no-verify"]) == 2
    assert capsys.readouterr().err == (
        f"torcharc-gen: error: {project / 'pyproject.toml'}: black can't use this setting: "
        "'PY2'\n"
    )
    assert not (project / "models" / "m.py").exists()


def widest(path: Path) -> int:
    return max(len(line) for line in path.read_text().splitlines() if not line.startswith("#"))


@pytest.mark.parametrize(
    "config, formatter, width",
    [
        ("[tool.black]\nline-length = 100\n", ["black", "--check"], 100),
        ("[tool.ruff]\nline-length = 120\n", ["ruff", "format", "--check"], 120),
        ("[tool.ruff]\nline-length = 100\n", ["ruff", "format", "--check"], 100),
        ("", ["black", "--check"], 88),
    ],
)
def test_generated_file_is_what_the_projects_formatter_leaves_alone(
    project, monkeypatch, config, formatter, width
):
    (project / "pyproject.toml").write_text(config)
    (project / "wide.yaml").write_text(WIDE)
    monkeypatch.chdir(project)
    assert main(["wide.yaml", "-o", "models/wide.py", "--no-verify", "-q"]) == 0
    out = project / "models" / "wide.py"
    assert 88 < widest(out) <= width if width > 88 else widest(out) <= 88
    proc = subprocess.run(
        [sys.executable, "-m", *formatter, "models/wide.py"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_settings_change_regenerates_and_is_recorded(project, monkeypatch, capsys):
    (project / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    (project / "wide.yaml").write_text(WIDE)
    monkeypatch.chdir(project)
    args = ["wide.yaml", "-o", "models/wide.py", "--no-verify"]
    assert main(args) == 0
    out = project / "models" / "wide.py"
    assert _version_line(out.read_text()).endswith(" -l 100)")
    assert widest(out) > 88
    capsys.readouterr()
    (project / "pyproject.toml").write_text("[tool.black]\n")  # back to 88 columns
    black_settings.clear_cache()
    assert main(args) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "wrote models/wide.py (Wide)"
    assert widest(out) <= 88 and "-l 100" not in out.read_text()
    # Settings that change no line of code still update the recorded settings, once.
    (project / "pyproject.toml").write_text("[tool.black]\nline-length = 89\n")
    black_settings.clear_cache()
    before = out.read_text()
    assert main(args) == 0
    after = out.read_text()
    assert [a for a, b in zip(after.splitlines(), before.splitlines()) if a != b] == [
        line for line in after.splitlines() if line.startswith("# torcharc-gen ")
    ]
    assert _version_line(after).endswith(" -l 89)")
    assert main([*args, "--check"]) == 0


@pytest.mark.parametrize(
    "mode",
    [
        black.Mode(line_length=100, target_versions={black.TargetVersion.PY310}),
        black.Mode(line_length=120),
        black.Mode(line_length=60, magic_trailing_comma=False),
    ],
    ids=["100-py310", "120", "60-skip-magic-comma"],
)
def test_big_model_formatting_is_blacks_with_the_projects_settings(mode):
    for spec in EXAMPLES:
        _, model = load_model(spec)
        d = draft(model, "Model", Header(spec_name="s.yaml"))
        assert format_big(d.parts, mode) == format_source(d.text, mode), spec


def _version_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(VERSION_PREFIX))
