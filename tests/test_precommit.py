"""The pre-commit hooks, driven by real pre-commit and real `git commit` in a throwaway
repository that uses a local copy of this repository's .pre-commit-hooks.yaml: a commit never
lands with a spec whose model is missing or stale, and the hooks settle beside black and
`ruff format` in one run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from shared_specs import WIDE

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow]  # real pre-commit and git in a throwaway repository
pytestmark.append(pytest.mark.skipif(shutil.which("git") is None, reason="needs git"))

SPEC = textwrap.dedent("""\
    modules:
      lin: {Linear: {in_features: 4, out_features: 2}}
    graph:
      input:
        x: {shape: [2, 4]}
      modules:
        lin: [x]
      output: lin
    """)


class Repo:
    def __init__(self, path: Path, env: dict):
        self.path, self.env = path, env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(  # one stream: git commit shows the hooks' output on stderr
            args,
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} failed:\n{proc.stdout}")
        return proc

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("git", *args, check=check)

    def commit(self, message: str) -> subprocess.CompletedProcess:
        return self.git("commit", "-q", "-m", message, check=False)

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "pre_commit", *args, check=False)

    def write(self, name: str, text: str) -> None:
        (self.path / name).parent.mkdir(parents=True, exist_ok=True)
        (self.path / name).write_text(text)

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def committed(self) -> set[str]:
        return set(self.git("ls-tree", "-r", "--name-only", "HEAD").stdout.split())

    def commits(self) -> int:
        proc = self.git("rev-list", "--count", "HEAD", check=False)
        return int(proc.stdout) if proc.returncode == 0 else 0


def _hook_status(output: str, name: str) -> str:
    """'Passed', 'Failed' or 'Skipped' for the hook whose name starts with ``name``."""
    match = re.search(rf"^{re.escape(name)}.*?\.+(Passed|Failed|\(no files to check\)Skipped)$",
                      output, re.MULTILINE)  # fmt: skip
    assert match, output
    return match[1].removeprefix("(no files to check)")


@pytest.fixture
def make_repo(tmp_path: Path):
    """A git repository whose .pre-commit-config.yaml uses this repository's hooks (from a
    local clone of .pre-commit-hooks.yaml) and, optionally, a formatter hook beside them."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "no-user-config"),  # no user-level black config
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    env.pop("PRE_COMMIT", None)
    hooks = Repo(tmp_path / "hooks", env)
    hooks.path.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks.path)
    hooks.git("init", "-q")
    hooks.git("add", ".")
    hooks.git("commit", "-q", "-m", "hooks")
    rev = hooks.git("rev-parse", "HEAD").stdout.strip()

    def make(pyproject: str, formatter: str | None = None) -> Repo:
        repo = Repo(tmp_path / "project", env)
        repo.path.mkdir()
        repo.git("init", "-q")
        local = ""
        if formatter:
            local = textwrap.indent(
                textwrap.dedent(f"""\
                    - repo: local
                      hooks:
                        - id: formatter
                          name: formatter
                          entry: {sys.executable} -m {formatter}
                          language: system
                          types: [python]
                    """),
                "  ",
            )
        repo.write(
            ".pre-commit-config.yaml",
            textwrap.dedent(f"""\
                repos:
                  - repo: {hooks.path}
                    rev: {rev}
                    hooks:
                      - id: torcharc-gen
                        args: [--no-verify]
                """) + local,
        )
        repo.write(
            "pyproject.toml",
            '[tool.torcharc-gen]\nspecs = "specs"\noutput = "models"\n' + pyproject,
        )
        repo.run(sys.executable, "-m", "pre_commit", "install")
        repo.git("add", ".")
        repo.git("commit", "-q", "--no-verify", "-m", "configuration")
        return repo

    return make


def test_commits_never_land_without_a_current_model(make_repo):
    repo = make_repo("")

    # A new spec: the hook writes its model and fails, so the commit is refused until the
    # model is staged too. A .yml spec is compiled like a .yaml one.
    repo.write("specs/a.yaml", SPEC)
    repo.write("specs/b.yml", SPEC)
    repo.git("add", "specs")
    refused = repo.commit("new specs")
    assert refused.returncode != 0
    assert "wrote models/a.py (A)" in refused.stdout
    assert "wrote models/b.py (B)" in refused.stdout
    assert "2 written, 0 unchanged, 0 failed" in refused.stdout
    assert repo.commits() == 1 and "specs/a.yaml" not in repo.committed()
    repo.git("add", "models")
    landed = repo.commit("new specs")
    assert landed.returncode == 0, landed.stdout
    assert {"specs/a.yaml", "models/a.py", "specs/b.yml", "models/b.py"} <= repo.committed()

    # A stale spec: regenerated, and refused until the new model is staged.
    repo.write("specs/a.yaml", SPEC.replace("out_features: 2", "out_features: 3"))
    repo.git("add", "specs")
    refused = repo.commit("wider")
    assert refused.returncode != 0 and "wrote models/a.py (A)" in refused.stdout
    assert "nn.Linear(in_features=4, out_features=3)" in repo.read("models/a.py")
    repo.git("add", "models")
    assert repo.commit("wider").returncode == 0

    # A hand edit of a model: the hook puts the generated file back and refuses the commit.
    committed = repo.read("models/a.py")
    repo.write("models/a.py", committed + "# my tweak\n")
    repo.git("add", "models")
    refused = repo.commit("tweak")
    assert refused.returncode != 0 and "wrote models/a.py (A)" in refused.stdout
    assert repo.read("models/a.py") == committed
    repo.git("add", "models")
    assert repo.git("diff", "--cached", "--quiet", check=False).returncode == 0

    # All current: the hook passes without generating anything.
    proc = repo.pre_commit("run", "torcharc-gen", "--all-files", "--verbose")
    assert proc.returncode == 0, proc.stdout
    assert "0 written, 2 unchanged, 0 failed" in proc.stdout

    # A change to [tool.torcharc-gen] in pyproject.toml triggers the hook.
    repo.write("pyproject.toml", repo.read("pyproject.toml") + 'class-name-style = "stem"\n')
    repo.git("add", "pyproject.toml")
    refused = repo.commit("stem class names")
    assert refused.returncode != 0 and "2 written, 0 unchanged, 0 failed" in refused.stdout
    assert "class a(nn.Module):" in repo.read("models/a.py")
    repo.git("add", "models")
    assert repo.commit("stem class names").returncode == 0
    assert repo.git("status", "--porcelain").stdout == ""


@pytest.mark.parametrize(
    "pyproject, formatter",
    [
        ("[tool.black]\nline-length = 100\n", "black"),
        ("[tool.ruff]\nline-length = 120\n", "ruff format"),
    ],
    ids=["black-100", "ruff-format-120"],
)
def test_the_hook_and_the_projects_formatter_settle_in_one_run(make_repo, pyproject, formatter):
    repo = make_repo(pyproject, formatter)
    repo.write("specs/wide.yaml", WIDE)
    repo.git("add", "specs")
    refused = repo.commit("a spec")
    assert refused.returncode != 0 and "wrote models/wide.py" in refused.stdout, refused.stdout
    repo.git("add", "models")
    landed = repo.commit("a spec")
    assert landed.returncode == 0, landed.stdout
    assert _hook_status(landed.stdout, "formatter") == "Passed"
    assert max(len(line) for line in repo.read("models/wide.py").splitlines()) > 88

    # The spec changes: one run regenerates the model, and the formatter leaves it alone.
    repo.write("specs/wide.yaml", WIDE.replace("out_features: 2", "out_features: 3"))
    first = repo.pre_commit("run", "--all-files")
    assert _hook_status(first.stdout, "torcharc-gen") == "Failed", first.stdout
    assert _hook_status(first.stdout, "formatter") == "Passed", first.stdout
    generated = repo.read("models/wide.py")
    assert "out_features=3" in generated
    second = repo.pre_commit("run", "--all-files")
    assert second.returncode == 0, second.stdout
    assert _hook_status(second.stdout, "torcharc-gen") == "Passed"
    assert _hook_status(second.stdout, "formatter") == "Passed"
    assert repo.read("models/wide.py") == generated
