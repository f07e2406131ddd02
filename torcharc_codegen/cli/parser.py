"""The command line's grammar: argparse parsers for every command, with one-line usage errors
(exit 2), ``generate`` as the default command, and shell completion through shtab."""

from __future__ import annotations

import argparse

from .report import exit_codes_text

COMMANDS = ("generate", "summary", "graph", "schema", "resolve", "space", "import", "help")
VERBOSITY_FLAGS = ("-q", "--quiet", "-v", "--verbose")
SHELLS = ("bash", "zsh", "tcsh")

USAGE = """\
torcharc-gen [generate] [SPEC] [-o OUT] [--check] [--class-name NAME] [--no-verify]
                    [--param NAME=VALUE ...] [--numeric-budget SIZE]
                    [--exit-non-zero-on-write] [--import PKG] [-q | -v]
       torcharc-gen summary SPEC [--import PKG]
       torcharc-gen graph SPEC -o FILE [--import PKG]
       torcharc-gen schema [-o FILE] [--import MODULE]
       torcharc-gen resolve SPEC [--param NAME=VALUE ...] [-o FILE]
       torcharc-gen space SPEC [--format json|optuna|wandb] [--max-params N] [--max-flops N]
       torcharc-gen import TARGET --input NAME=D0,D1,... -o SPEC.yaml [--class-name NAME]
                    [--arg KEY=VALUE ...] [--no-verify]
       torcharc-gen help [COMMAND]
       torcharc-gen --version | --help | --print-completion {bash,zsh,tcsh}"""

# shtab's completers (plain data: shtab is imported only to print a completion script)
_FILES = {"bash": "_shtab_compgen_files", "zsh": "_files", "tcsh": "f"}
_SPECS = {"bash": "_shtab_compgen_files", "zsh": "_files -g '*.(yaml|yml)'", "tcsh": "f"}
_IMPORT_HELP = (
    "allow specs to name classes from this package (repeatable); it is imported from the "
    "installed packages, then from the current directory (which never shadows the tool's own "
    "imports, e.g. a local yaml.py)"
)


class UsageError(Exception):
    def __init__(self, message: str, prog: str | None = None):
        super().__init__(message)
        self.prog = prog  # set for argparse's errors: the line ends "(see PROG --help)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(message, self.prog)


class _Version(argparse.Action):
    """``--version``: this tool's version and the torch and black it runs with."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the versions and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from ..codegen.provenance import versions

        print(f"torcharc-gen {versions()}")
        parser.exit()


class _Completion(argparse.Action):
    """``--print-completion SHELL``: the completion script for bash, zsh or tcsh (shtab)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(
            option_strings,
            dest,
            choices=SHELLS,
            metavar="SHELL",
            help="print the shell completion script (bash, zsh, tcsh) and exit, e.g. "
            "`torcharc-gen --print-completion bash > ~/.local/share/bash-completion/"
            "completions/torcharc-gen`",
        )

    def __call__(self, parser, namespace, values, option_string=None):
        import shtab

        print(shtab.complete(parser, shell=values))
        parser.exit()


def _imports_option(p: argparse.ArgumentParser, what: str = "PKG") -> None:
    p.add_argument(
        "--import", dest="imports", action="append", default=[], metavar=what, help=_IMPORT_HELP
    )


def _param_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=help + "; VALUE as in YAML 1.2: 512, 0.1, true or false, a string",
    )


def _verbosity(verbose_help: str) -> argparse.ArgumentParser:
    """-q/-v, accepted before and after the command (SUPPRESS: a command's parser doesn't
    reset what the main parser read)."""
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print errors and warnings only",
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=verbose_help
    )
    return p


def _spec_argument(p: argparse.ArgumentParser, help: str, **kwargs) -> None:
    p.add_argument("spec", metavar="SPEC", help=help, **kwargs).complete = _SPECS


def _output_argument(p: argparse.ArgumentParser, *names: str, **kwargs) -> None:
    p.add_argument(*names, **kwargs).complete = _FILES


def parser() -> _Parser:
    top = _verbosity("print more (what more: see a command's --help)")
    same = _verbosity("accepted as for generate; this command has nothing more to print")
    p = _Parser(
        prog="torcharc-gen",
        usage=USAGE,
        description="Compile TorchArc specs into standalone nn.Module source files. Defaults "
        "come from [tool.torcharc-gen] in pyproject.toml; the code is formatted with the "
        "black settings black would use for the output (its [tool.black], else ruff's "
        "line-length).",
        epilog="`torcharc-gen help COMMAND` (or `torcharc-gen COMMAND --help`) shows a "
        "command's options. " + exit_codes_text(),
        parents=[top],
    )
    p.add_argument("--version", action=_Version)
    p.add_argument("--print-completion", action=_Completion)
    sub = p.add_subparsers(
        prog="torcharc-gen",
        dest="command",
        title="commands",
        metavar="COMMAND",
        description="generate is the default: `torcharc-gen SPEC -o OUT.py` runs it "
        "(a spec file named like a command: write ./graph).",
    )
    _generate(sub)
    _summary(sub, same)
    _graph(sub, same)
    _schema(sub, same)
    _resolve(sub, same)
    _space(sub, same)
    _import(sub, same)
    h = sub.add_parser("help", help="show the help of the tool or of a command")
    h.add_argument("topic", nargs="?", metavar="COMMAND", choices=COMMANDS[:-1])
    return p


def _generate(sub) -> None:
    verbosity = _verbosity(
        "also print black's settings and where they come from, every check of every file, "
        "and why a file is already current"
    )
    g = sub.add_parser(
        "generate",
        parents=[verbosity],
        help="compile specs into .py files (the default command)",
        description="Compile specs into standalone nn.Module source files; a file is "
        "written only when its content changes. Each check's line is printed as it ends, "
        "with its time.",
    )
    _spec_argument(g, "a YAML spec, a directory of them (*.yaml, *.yml), or - for stdin", nargs="?")
    _output_argument(
        g,
        "-o",
        "--output",
        metavar="OUT",
        help="the .py file (or directory) to write; - for stdout",
    )
    g.add_argument(
        "--class-name",
        metavar="NAME",
        help="the model class (default: the output name in PascalCase, my_model.py -> MyModel)",
    )
    g.add_argument(
        "--check",
        action="store_true",
        help="write nothing; say `unchanged` for a current output, and exit 1 with a diff "
        "when one is stale or missing",
    )
    g.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the script/trace/compile/export checks (the output says they were skipped)",
    )
    g.add_argument(
        "--numeric-budget",
        metavar="SIZE",
        help="compare outputs with eager using real weights when the parameters take at most "
        "SIZE (e.g. 4GB; default 1GB, or numeric-budget under [tool.torcharc-gen]); bigger "
        "models are checked on meta tensors: structure, shapes and dtypes",
    )
    g.add_argument(
        "--exit-non-zero-on-write",
        action="store_true",
        help="exit 1 when a file was written (for pre-commit: a new or changed model must be "
        "staged before the commit goes through)",
    )
    _param_option(
        g,
        "a parametrized spec's parameter default in the generated class instead of the spec's "
        "(repeatable; the header's regenerate command keeps it)",
    )
    _imports_option(g)


_STDIN = "a YAML file, or - for stdin"


def _summary(sub, verbosity) -> None:
    s = sub.add_parser(
        "summary",
        parents=[verbosity],
        help="print the layer table (shapes, parameters, FLOPs) from one run of the example "
        "inputs",
        description="Print the table of nodes (module, output shape, parameters, FLOPs) from "
        "one run of the spec's example inputs; the FLOPs are for the example batch. Writes "
        "nothing.",
    )
    _spec_argument(s, f"the spec: {_STDIN}, with example inputs")
    _imports_option(s)


def _graph(sub, verbosity) -> None:
    d = sub.add_parser(
        "graph",
        parents=[verbosity],
        help="draw the spec's graph (.svg, .png, .dot, .mmd)",
        description="Draw the spec's graph: .dot and .mmd (Mermaid) as text, .svg and .png "
        "through Graphviz's dot.",
    )
    _spec_argument(d, f"the spec: {_STDIN}")
    _output_argument(
        d, "-o", "--output", metavar="FILE", required=True, help="model.svg|.png|.dot|.mmd"
    )
    _imports_option(d)


def _schema(sub, verbosity) -> None:
    c = sub.add_parser(
        "schema",
        parents=[verbosity],
        help="print or write the JSON Schema for specs",
        description="Print (or write) the JSON Schema for specs, generated from the installed "
        "torch.nn.",
    )
    _output_argument(
        c, "-o", "--output", metavar="FILE", help="the file to write (default: stdout)"
    )
    _imports_option(c, "MODULE")


def _resolve(sub, verbosity) -> None:
    r = sub.add_parser(
        "resolve",
        parents=[verbosity],
        help="print the plain TorchArc spec of a parametrized spec",
        description="Print (or write) the spec with every ${...} replaced by its value (the "
        "params' defaults, or --param values), without params and example inputs: the plain "
        "TorchArc spec that torcharc.build builds.",
    )
    _spec_argument(r, f"the spec: {_STDIN}")
    _param_option(r, "a parameter's value instead of its default (repeatable)")
    _output_argument(
        r, "-o", "--output", metavar="FILE", help="the file to write (default: stdout)"
    )


def _space(sub, verbosity) -> None:
    sp = sub.add_parser(
        "space",
        parents=[verbosity],
        help="export a parametrized spec's search space (json, optuna, wandb)",
        description="Print (or write) the search space of the params with a domain; with "
        "budgets, a small finite space keeps only the values some member within them takes.",
    )
    _spec_argument(sp, "the spec: a YAML file")
    sp.add_argument("--format", choices=("json", "optuna", "wandb"), default="json")
    sp.add_argument("--max-params", type=int, metavar="N", help="a parameter budget")
    sp.add_argument("--max-flops", type=int, metavar="N", help="a FLOPs budget (see --batch)")
    sp.add_argument("--batch", type=int, default=1, metavar="N", help="rows for --max-flops")
    _output_argument(
        sp, "-o", "--output", metavar="FILE", help="the file to write (default: stdout)"
    )


def _import(sub, verbosity) -> None:
    i = sub.add_parser(
        "import",
        parents=[verbosity],
        help="write an existing nn.Module as a spec, proven by its round trip",
        description="Trace the model TARGET returns and write it as a spec: its torch.nn "
        "modules with their arguments, its own classes as blocks, what the language can't say "
        "as custom modules imported by path (reported). The spec is written only once its "
        "round trip passed: it compiles with every check, the generated class loads the "
        "model's state_dict with strict=True and gives its outputs bit for bit in eval mode.",
    )
    i.add_argument("target", metavar="TARGET", help="package.module:callable, called to build it")
    i.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=D0,D1,...",
        help="an example input of forward: its argument name and shape (repeatable)",
    )
    _output_argument(
        i, "-o", "--output", metavar="SPEC", required=True, help="the spec to write (.yaml)"
    )
    i.add_argument(
        "--class-name",
        metavar="NAME",
        help="the class of the round trip (default: the output name in PascalCase)",
    )
    i.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a keyword argument for TARGET (repeatable); VALUE as in YAML 1.2",
    )
    i.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the script/trace/compile/export checks (the strict load and the outputs "
        "are still compared)",
    )


def with_command(argv: list[str]) -> tuple[list[str], int]:
    """argv with ``generate`` inserted when no command is named, and the command's index."""
    i = 0
    while i < len(argv) and argv[i] in VERBOSITY_FLAGS:
        i += 1
    known = (*COMMANDS, "-h", "--help", "--version", "--print-completion")
    if i == len(argv) or not (argv[i] in known or argv[i].startswith("--print-completion=")):
        argv = [*argv[:i], "generate", *argv[i:]]
    return argv, i
