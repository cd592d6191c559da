"""The ``darklint`` command: argument parsing and wiring, nothing else.

Exit codes (ruff/flake8 conventions): 0 nothing found, 1 findings (or, with
``--diff``, changes to show), 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from darklint import REPOSITORY_URL, __version__
from darklint.startup import collector_paused_then_frozen

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SUBCOMMANDS = ("check", "rule", "rules", "lsp")
FORMAT_NAMES = ("text", "json", "sarif", "github", "gitlab", "junit")


def _codes(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=[],
        metavar="PATH",
        help="files or directories (default: .); - reads standard input",
    )
    parser.add_argument(
        "--format", choices=FORMAT_NAMES, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--select",
        type=_codes,
        action="append",
        help="codes, prefixes or slugs to enable (replaces the default set)",
    )
    parser.add_argument(
        "--extend-select",
        type=_codes,
        action="append",
        default=[],
        help="codes, prefixes or slugs to add",
    )
    parser.add_argument(
        "--ignore",
        type=_codes,
        action="append",
        default=[],
        help="codes, prefixes or slugs to disable",
    )
    parser.add_argument(
        "--statistics", action="store_true", help="print a count per rule instead of each finding"
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="worker processes (default: number of cores)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write .darklint_cache/"
    )
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument(
        "--unsafe-fixes", action="store_true", help="also apply fixes that may change behaviour"
    )
    parser.add_argument(
        "--diff", action="store_true", help="print the fixes as a unified diff; write nothing"
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="read standard input as the file PATH (its configuration and the reported path)",
    )
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply exclude/extend-exclude to paths named on the command line too (pre-commit)",
    )
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    parser.add_argument(
        "--exit-non-zero-on-fix",
        action="store_true",
        help="with --fix, exit 1 when any file was changed, even if no findings remain",
    )
    parser.add_argument(
        "--show-source", action="store_true", help="show the source line under each finding"
    )
    parser.add_argument("--config", type=Path, help="use this pyproject.toml or darklint.toml")
    parser.add_argument(
        "--output-file",
        "-o",
        type=Path,
        help="write the report to this file instead of standard output",
    )
    parser.add_argument(
        "--add-noqa",
        action="store_true",
        help="add a `# noqa: DKxxx` to every reported line (adopting darklint on legacy code)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report only the findings that FILE (written by --write-baseline) does not hold",
    )
    parser.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record today's findings in FILE and report nothing",
    )
    # For benchmarks: how many files libcst analysed, on standard error.
    parser.add_argument("--stats", action="store_true", help=argparse.SUPPRESS)


DESCRIPTION = (
    "A static linter for Keras anti-patterns (GAN/multi-task/adversarial training tricks)."
)
# `darklint --help` is `darklint check --help`: the options a user looks for
# are the default command's, so its help shows them and names the others.
CHECK_USAGE = """darklint [check] [options] [PATH ...]
       darklint rule CODE|SLUG [--format json]
       darklint rules [--format json]
       darklint lsp [--stdio]
       darklint --version"""
CHECK_EPILOG = """commands:
  check        lint files (the default command; these options)
  rule CODE    show a rule's documentation
  rules        list all rules
  lsp          run the language server over stdio (needs the 'lsp' extra)

`darklint COMMAND --help` shows a command's own options."""
LSP_DESCRIPTION = """Run darklint's language server: JSON-RPC over standard input and output
(diagnostics, quick fixes, "fix all", hover; notebooks too).

Configuration: the nearest pyproject.toml/darklint.toml above each document,
read again at every lint.

initializationOptions (optional, a JSON object from the client):
  {"debounce": 0.3}   seconds of quiet after an edit before the document is linted"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="darklint", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"darklint {__version__}")
    sub = parser.add_subparsers(dest="command")
    _add_check_arguments(
        sub.add_parser(
            "check",
            help="lint files (the default command)",
            usage=CHECK_USAGE,
            description=DESCRIPTION,
            epilog=CHECK_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    rule = sub.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("rule", help="code or slug, e.g. DK101 or trainable-toggled-around-compile")
    rule.add_argument("--format", choices=("text", "json"), default="text")
    rules = sub.add_parser("rules", help="list all rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    lsp = sub.add_parser(
        "lsp",
        help="run the language server over stdio (needs the 'lsp' extra)",
        description=LSP_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Some clients (vscode-languageclient) pass --stdio; stdio is the only transport.
    lsp.add_argument(
        "--stdio", action="store_true", help="use standard input and output (the only transport)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Without a command, the arguments are check's (`darklint --help` too).
    if not any(arg in SUBCOMMANDS for arg in args_list[:1]) and args_list[:1] != ["--version"]:
        args_list.insert(0, "check")
    args = build_parser().parse_args(args_list)
    try:
        if args.command == "rule":
            return _show_rule(args.rule, args.format)
        if args.command == "rules":
            return _list_rules(args.format)
        if args.command == "lsp":
            return _serve_lsp()
        with collector_paused_then_frozen():
            from darklint.check import run_check

        return run_check(args)
    except BrokenPipeError:
        # `darklint ... | head` is not an error; silence the interpreter's complaint.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_CLEAN
    except KeyboardInterrupt:
        return 130
    except Exception:
        # An uncaught exception would exit with 1, which reads as "findings":
        # an internal error must be 2, with the traceback for the bug report.
        import traceback

        traceback.print_exc()
        print(
            f"darklint: error: internal error (darklint {__version__}); please report it",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _serve_lsp() -> int:
    try:
        from darklint.lsp import serve
    except ModuleNotFoundError as error:
        # Only a missing pygls/lsprotocol is the user's setup; anything else is a bug.
        if (error.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        print(
            "darklint: error: darklint lsp needs the 'lsp' extra (pygls): pip install 'pygls>=2,<3',"
            " or install darklint with it: pip install 'darklint[lsp] @ git+"
            f"{REPOSITORY_URL}'",
            file=sys.stderr,
        )
        return EXIT_ERROR
    serve()
    return EXIT_CLEAN


def _show_rule(selector: str, fmt: str) -> int:
    from darklint import docs
    from darklint.registry import lookup

    rule = lookup(selector)
    if rule is None:
        print(f"darklint: error: unknown rule {selector!r} (see `darklint rules`)", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(docs.render_json(rule) if fmt == "json" else docs.render_text(rule))
    return EXIT_CLEAN


def _list_rules(fmt: str) -> int:
    import json

    from darklint.registry import all_rules

    rows: list[dict[str, str]] = [
        {
            "code": rule.code,
            "name": rule.name,
            "severity": rule.severity.value,
            "fixable": "yes" if rule.fix_safety is not None else "-",
            "default": "on" if rule.default_enabled else "off",
            "reference": rule.reference or "-",
        }
        for rule in all_rules()
    ]
    if fmt == "json":
        from darklint.docs import rule_json

        print(json.dumps([rule_json(rule) for rule in all_rules()], indent=2))
        return EXIT_CLEAN
    header = {
        "code": "CODE",
        "name": "NAME",
        "severity": "SEVERITY",
        "fixable": "FIX",
        "default": "DEFAULT",
        "reference": "REFERENCE",
    }
    table = [header, *rows]
    widths = {key: max(len(str(row[key])) for row in table) for key in header}
    for row in table:
        print("  ".join(str(row[key]).ljust(widths[key]) for key in header).rstrip())
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
