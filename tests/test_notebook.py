"""Notebooks as Python source: masking, exact line mapping, errors."""

from __future__ import annotations

import json
from typing import Any

import libcst
import pytest

from darklint.notebook import (
    MASK,
    Notebook,
    NotebookError,
    is_python_notebook,
    load_notebook,
    mask_cell,
)

MASKED = "pass  " + MASK


def cell(source: str | list[str], cell_type: str = "code") -> dict[str, Any]:
    """A cell as nbformat writes it: a code cell's source is a list of lines."""
    data: dict[str, Any] = {"cell_type": cell_type, "metadata": {}, "source": source}
    if cell_type == "code":
        data.update(execution_count=None, outputs=[])
    return data


def lines_of(text: str) -> list[str]:
    """Split like nbformat: each line keeps its newline."""
    return text.splitlines(keepends=True)


def notebook(*cells: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "cells": list(cells),
        "metadata": metadata if metadata is not None else {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def load(*cells: dict[str, Any], **kwargs: Any) -> Notebook:
    return load_notebook(json.dumps(notebook(*cells, **kwargs), indent=1))


def raw_line(raw: str, nb: Notebook, cell: int, line: int) -> str:
    """The text of the raw file's line that file_line names, without its comma."""
    file_line = nb.file_line(cell, line)
    assert file_line is not None
    return raw.split("\n")[file_line - 1].strip().rstrip(",")


def masked_lines(source: str) -> list[str]:
    return mask_cell(source.split("\n"))[0]


# --------------------------------------------------------------------------
# Masking


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "%time f()",
        "%%time",  # a cell magic in the middle of a cell is still not Python
        "!pip install keras",
        "!!ls",
        "?model.fit",
        "??model.fit",
        "model.fit?",
        "model.fit??",
        "x = !ls",
        "x = %time f()",
        "files: list = !ls",
        "a, b = !echo 1 2",
        "d['k'] = %who_ls",
        "/print 1 2",
        ",print a b",
    ],
)
def test_ipython_lines_are_masked(line: str) -> None:
    out, masked = mask_cell(["import os", line, "y = 1"])
    assert out == ["import os", MASKED, "y = 1"]
    assert masked == (2,)


@pytest.mark.parametrize(
    "line",
    [
        "x = 1  # does this work?",
        "s = 'what?'",
        "y = 'a = %s' % x",
        "z = a != b",
        "w = a % b",
        "v = a <= b",
        "f(x=1)",
        "print('100%')",
        "q = (a := 3)",
        "lambda x=1: x",
        "# %matplotlib inline",
        "",
    ],
)
def test_python_lines_are_kept(line: str) -> None:
    assert mask_cell([line]) == ([line], ())


def test_indented_magic_keeps_the_block_valid() -> None:
    source = "for i in range(3):\n    %time f(i)\n    !echo $i\nprint(i)"
    out = masked_lines(source)
    assert out == ["for i in range(3):", "    " + MASKED, "    " + MASKED, "print(i)"]
    libcst.parse_module("\n".join(out) + "\n")


def test_magic_inside_a_string_or_a_bracket_is_python() -> None:
    source = 's = """\n%d items\n!important\nreally?\n"""\nz = (1\n% 2)\nw = [a,\n  b]?'
    out = masked_lines(source)
    # The string and the modulo continuation stay; the help on a logical line
    # spanning two physical lines masks both.
    assert out[:7] == source.split("\n")[:7]
    assert out[7:] == [MASKED, ""]
    libcst.parse_module("\n".join(out) + "\n")


def test_magic_after_a_one_quote_string_continued_by_backslash() -> None:
    out = masked_lines("s = 'abc\\\n%not a magic'\n%magic")
    assert out == ["s = 'abc\\", "%not a magic'", MASKED]


def test_backslash_continuation_of_a_magic_masks_the_next_line() -> None:
    out, masked = mask_cell(["%foo a \\", "  b \\", "  c", "x = 1"])
    assert out == [MASKED, "", "", "x = 1"]
    assert masked == (1, 2, 3)


def test_shell_command_with_quotes_does_not_open_a_string() -> None:
    out = masked_lines("!echo \"it's\"\nx = !grep ' foo\ny = 1?")
    assert out == [MASKED, MASKED, MASKED]


@pytest.mark.parametrize("magic", ["time", "timeit -n 3", "capture out", "prun", "debug"])
def test_python_cell_magic_masks_only_its_first_line(magic: str) -> None:
    out, masked = mask_cell([f"%%{magic}", "x = 1", "%who", "y = 2"])
    assert out == [MASKED, "x = 1", MASKED, "y = 2"]
    assert masked == (1, 3)


@pytest.mark.parametrize(
    "magic",
    ["bash", "sh", "html", "writefile model.py", "javascript", "latex", "script python", "sql"],
)
def test_other_cell_magic_masks_the_whole_cell(magic: str) -> None:
    body = [f"%%{magic}", "echo 'hi", "  if then (", "import keras"]
    out, masked = mask_cell(body)
    assert out == [MASKED, "", "", ""]
    assert masked == (1, 2, 3, 4)


def test_cell_magic_after_leading_blank_lines() -> None:
    out, masked = mask_cell(["", "  ", "%%bash", "ls"])
    assert out == ["", "  ", MASKED, ""]
    assert masked == (3, 4)


# --------------------------------------------------------------------------
# The joined module and the mapping back


CELLS = [
    cell(lines_of("# Title\nSome *markdown*\n"), "markdown"),
    cell(lines_of("import keras\n%matplotlib inline\nmodel = keras.Sequential()")),
    cell(lines_of("More text\n"), "markdown"),
    cell(lines_of("%%bash\necho hi\nls\n")),
    cell([]),  # empty
    cell(lines_of("for layer in model.layers:\n    layer.trainable = False\n    %time x\n")),
    cell(lines_of("raw text"), "raw"),
    cell("model.compile()\nmodel.fit?"),  # a string source, no final newline
]


def test_code_joins_code_cells_with_magics_masked() -> None:
    nb = load(*CELLS)
    assert nb.code == (
        "import keras\n"
        f"{MASKED}\n"
        "model = keras.Sequential()\n"
        f"{MASKED}\n\n\n"
        "for layer in model.layers:\n"
        "    layer.trainable = False\n"
        f"    {MASKED}\n"
        "model.compile()\n"
        f"{MASKED}\n"
    )
    libcst.parse_module(nb.code)
    assert [(s.number, s.start_line, s.line_count) for s in nb.cells] == [
        (2, 1, 3),
        (4, 4, 3),
        (5, 7, 0),
        (6, 7, 3),
        (8, 10, 2),
    ]
    assert nb.cells[0].masked == (2,)
    assert nb.cells[3].end_line == 9


def test_locate_is_exact_both_ways() -> None:
    nb = load(*CELLS)
    code_lines = nb.code.split("\n")[:-1]
    seen = []
    for number, line in enumerate(code_lines, 1):
        cell_number, cell_line = nb.locate(number)
        seen.append((cell_number, cell_line))
        original = nb.cell_source(cell_number).splitlines()[cell_line - 1]
        span = next(s for s in nb.cells if s.number == cell_number)
        if cell_line in span.masked:
            assert (
                original.lstrip().startswith(("%", "!"))
                or original.endswith("?")
                or (cell_number == 4)
            )
        else:
            assert line == original
        # ... and back: the span's start line plus the in-cell line.
        assert span.start_line + cell_line - 1 == number
    assert seen == [
        *[(2, 1), (2, 2), (2, 3)],
        *[(4, 1), (4, 2), (4, 3)],
        *[(6, 1), (6, 2), (6, 3)],
        *[(8, 1), (8, 2)],
    ]


def test_locate_past_the_end_points_past_the_last_cell() -> None:
    nb = load(*CELLS)
    assert nb.locate(12) == (8, 3)
    with pytest.raises(ValueError, match="line 0"):
        nb.locate(0)
    with pytest.raises(ValueError, match="not in the notebook"):
        load(cell("# md", "markdown")).locate(1)


def test_cell_source_is_the_unmasked_original() -> None:
    nb = load(*CELLS)
    assert nb.cell_source(4) == "%%bash\necho hi\nls\n"
    assert nb.cell_source(1) == "# Title\nSome *markdown*\n"
    assert nb.cell_source(8) == "model.compile()\nmodel.fit?"
    assert nb.cell_count == 8
    with pytest.raises(IndexError):
        nb.cell_source(9)


def test_file_line_points_at_the_json_string_of_the_line() -> None:
    raw = json.dumps(notebook(*CELLS), indent=1)
    raw_lines = raw.split("\n")
    nb = load_notebook(raw)
    for number in range(1, nb.code.count("\n") + 1):
        cell_number, cell_line = nb.locate(number)
        file_line = nb.file_line(cell_number, cell_line)
        assert file_line is not None
        text = nb.cell_source(cell_number).splitlines(keepends=True)[cell_line - 1]
        if cell_number == 8:  # one string holds the whole cell
            assert raw_lines[file_line - 1].strip().rstrip(",") == '"source": ' + json.dumps(
                nb.cell_source(8)
            )
        else:
            assert raw_lines[file_line - 1].strip().rstrip(",") == json.dumps(text)
    # Markdown cells map too (their lines exist in the file).
    assert raw_line(raw, nb, 1, 2) == json.dumps("Some *markdown*\n")
    assert nb.file_line(2, 4) is None
    assert nb.file_line(5, 1) is None  # an empty cell has no line
    assert nb.file_line(9, 1) is None


def test_file_line_with_sources_split_anywhere() -> None:
    raw = json.dumps(notebook(cell(["imp", "ort os\nx", " = 1\n", "", "y = 2\n"])), indent=2)
    nb = load_notebook(raw)
    assert nb.code == "import os\nx = 1\ny = 2\n"
    assert [raw_line(raw, nb, 1, n) for n in (1, 2, 3)] == ['"imp"', '"ort os\\nx"', '"y = 2\\n"']


def test_file_line_on_a_minified_notebook_and_with_a_repeated_key() -> None:
    nb = load_notebook(json.dumps(notebook(cell(["a = 1\n", "b = 2\n"]))))
    assert (nb.file_line(1, 1), nb.file_line(1, 2)) == (1, 1)
    # json.loads keeps the last "source": so must the mapping.
    raw = '{"cells": [{"cell_type": "code", "source": ["x\\n"],\n"source":\n["y = 1\\n"]}]}'
    nb = load_notebook(raw)
    assert nb.code == "y = 1\n"
    assert nb.file_line(1, 1) == 3


def test_crlf_sources_and_a_bom() -> None:
    nb = load_notebook("\ufeff" + json.dumps(notebook(cell(["a = 1\r\n", "%time b\r\n", "c = 3"]))))
    assert nb.code == f"a = 1\n{MASKED}\nc = 3\n"
    assert nb.locate(3) == (1, 3)


def test_a_realistic_notebook_parses() -> None:
    nb = load(
        cell(lines_of("!pip install -q keras\n%load_ext autoreload\n%autoreload 2")),
        cell(lines_of("import keras\nfrom keras import layers\n")),
        cell(lines_of("%%capture\nhistory = model.fit(x, y)\n")),
        cell(lines_of("files = !ls data/\nfor f in files:\n    !head -n 1 {f}\n")),
        cell(lines_of("%%writefile train.py\nimport sys\nif True\n")),
        cell(lines_of("model.summary??\n%timeit -n 3 model(x)\n")),
    )
    module = libcst.parse_module(nb.code)
    assert module.code == nb.code


# --------------------------------------------------------------------------
# Languages and errors


def test_non_python_kernel_has_nothing_to_lint() -> None:
    nb = load(
        cell(lines_of("library(ggplot2)\nx <- 1")),
        metadata={"kernelspec": {"language": "R", "name": "ir"}, "language_info": {"name": "R"}},
    )
    assert nb.code == ""
    assert nb.cells == ()
    assert nb.language == "R"
    assert nb.cell_source(1) == "library(ggplot2)\nx <- 1"


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({}, True),
        ({"kernelspec": {"language": "python", "name": "python3"}}, True),
        ({"language_info": {"name": "python", "version": "3.11"}}, True),
        ({"kernelspec": {"language": "julia"}}, False),
        # The kernel's own report wins over the kernelspec.
        ({"kernelspec": {"language": "python"}, "language_info": {"name": "scala"}}, False),
        ({"kernelspec": {"language": "Python"}, "language_info": {"name": ""}}, True),
        ({"kernelspec": "junk"}, True),
    ],
)
def test_is_python_notebook(metadata: dict[str, Any], expected: bool) -> None:
    assert is_python_notebook(notebook(metadata=metadata)) is expected


def test_invalid_json_message() -> None:
    with pytest.raises(NotebookError) as error:
        load_notebook('{\n "cells": [\n  1 2\n ]\n}')
    assert str(error.value) == "invalid notebook JSON: Expecting ',' delimiter (line 3, column 5)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a notebook: the top-level JSON value is not an object"),
        ({"metadata": {}}, "not a notebook: missing 'cells' list"),
        ({"cells": {}}, "not a notebook: missing 'cells' list"),
        (
            {"worksheets": [{"cells": []}], "nbformat": 3},
            "not a notebook: missing 'cells' list (nbformat 3 notebooks are not supported)",
        ),
        ({"cells": [1]}, "not a notebook: cell 1 is not an object"),
        (
            {"cells": [{"cell_type": "code", "source": ""}, {}]},
            "not a notebook: cell 2 has no 'cell_type'",
        ),
        (
            {"cells": [{"cell_type": "code", "source": ["a", 1]}]},
            "not a notebook: cell 1 'source' is not a string or a list of strings",
        ),
    ],
)
def test_wrong_structure_message(data: object, message: str) -> None:
    with pytest.raises(NotebookError) as error:
        load_notebook(json.dumps(data))
    assert str(error.value) == message


def test_cells_without_source_are_empty() -> None:
    nb = load_notebook(
        json.dumps({"cells": [{"cell_type": "code"}, {"cell_type": "code", "source": "x"}]})
    )
    assert nb.code == "x\n"
    assert nb.locate(1) == (2, 1)
