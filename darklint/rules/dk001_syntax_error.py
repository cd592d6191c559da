from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.rule import Rule


class SyntaxErrorInFile(Rule):
    """The file could not be read or is not valid Python, so it was not linted.

    ## What it does
    Reports a file that CPython's own parser rejects (at the error position),
    a file that cannot be decoded, and a notebook whose JSON is invalid.
    Other files are still linted.

    ## Why is this bad?
    Nothing in a file that does not parse can be checked: a Keras bug in it
    stays invisible. A diagnostic (rather than a crash or silence) keeps the
    run going and tells you why that file was skipped.

    ## Example
    ```python
    model.compile(optimizer="adam"
    ```

    ## Fix safety
    No fix: the code has to be repaired by hand.
    """

    code = "DK001"
    name = "syntax-error"
    aliases = ("unreadable-file",)
    message = "{detail}"
    severity = Severity.ERROR
    engine_rule = True
