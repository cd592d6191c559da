"""A broken rule costs its own findings, never the run; darklint's own bugs exit 2.

Test-only rules that crash (in a visitor, in ``finish()``, or by reporting a
node that is not in the file) run in-process next to the real DK104.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import libcst as cst
import pytest

from darklint import check, registry
from darklint.cli import main
from darklint.rule import Rule

DK104_SOURCE = """\
from keras import Sequential, layers
from keras.optimizers import Adam
opt = Adam()
a = Sequential([layers.Dense(1)])
b = Sequential([layers.Dense(1)])
a.compile(optimizer=opt, loss="mse")
b.compile(optimizer=opt, loss="mse")
"""


class CrashInVisitor(Rule):
    """Test only: raises on the name `boom`."""

    code = "DK995"
    name = "test-crash-in-visitor"
    message = "never"
    requires_names = ("boom",)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "boom":
            raise RuntimeError("boom")


class CrashInFinish(Rule):
    """Test only: raises after the traversal when the file mentions `bang`."""

    code = "DK996"
    name = "test-crash-in-finish"
    message = "never"
    requires_names = ("bang",)

    def finish(self) -> None:
        raise ValueError("bang")


class ForeignNode(Rule):
    """Test only: reports a node it built itself, which has no position."""

    code = "DK997"
    name = "test-foreign-node"
    message = "never"
    requires_names = ("foreign",)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "foreign":
            self.report(node.with_changes(value="elsewhere"))


class Fine(Rule):
    """Test only: reports every name `fine`."""

    code = "DK998"
    name = "test-fine"
    message = "fine"
    requires_names = ("fine",)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "fine":
            self.report(node)


@pytest.fixture(autouse=True)
def crashing_rules() -> Iterator[None]:
    saved = registry.RULES
    registry.RULES = (*saved, CrashInVisitor, CrashInFinish, ForeignNode, Fine)
    registry.rules_by_code.cache_clear()
    registry.rules_by_name.cache_clear()
    try:
        yield
    finally:
        registry.RULES = saved
        registry.rules_by_code.cache_clear()
        registry.rules_by_name.cache_clear()


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(["--no-cache", "--jobs", "1", "--select", "DK99,DK104", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.mark.parametrize(
    ("source", "crash"),
    [
        pytest.param("fine = boom\n", "m.py: DK995: RuntimeError: boom", id="visitor"),
        pytest.param("fine = bang\n", "m.py: DK996: ValueError: bang", id="finish"),
        pytest.param(
            "fine = foreign\n",
            "m.py: DK997: reported a node that is not in the file",
            id="foreign-node",
        ),
    ],
)
def test_a_crashing_rule_is_reported_and_the_rest_goes_on(
    tmp_path: Path, cli: Cli, source: str, crash: str
) -> None:
    (tmp_path / "m.py").write_text(source)
    (tmp_path / "other.py").write_text(DK104_SOURCE)
    code, out, err = cli("m.py", "other.py")
    assert code == 2
    assert err == f"darklint: error: rule crashed: {crash}\n"
    # The other rule on the same file, and the other file, are still reported.
    assert out.startswith("m.py:1:1: DK998 [test-fine] fine\nother.py:7:1: DK104 ")


def test_a_crash_on_stdin_is_reported(cli: Cli) -> None:
    code, out, err = cli("-", "--stdin-filename", "x.py", stdin=b"boom = fine\n")
    assert code == 2
    assert out.startswith("x.py:1:8: DK998 ")
    assert err == "darklint: error: rule crashed: x.py: DK995: RuntimeError: boom\n"


def test_a_crash_with_diff_is_still_an_error(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "m.py").write_text("boom = 1\n")
    code, out, err = cli("--diff", "m.py")
    assert (code, out) == (2, "")
    assert err == "darklint: error: rule crashed: m.py: DK995: RuntimeError: boom\n"


def test_an_internal_error_exits_2_not_1(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise KeyError("darklint bug")

    monkeypatch.setattr(check, "run_check", broken)
    (tmp_path / "m.py").write_text("x = 1\n")
    code, out, err = cli("m.py")
    assert code == 2  # an uncaught exception would exit 1, which means "findings"
    assert out == ""
    assert "KeyError: 'darklint bug'" in err
    assert err.endswith("darklint: error: internal error (darklint 0.1.0); please report it\n")
