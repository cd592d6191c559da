from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.rule import Rule


class UnsupportedSyntax(Rule):
    """Valid Python that darklint's parser (libcst) cannot analyse, so it was skipped.

    ## What it does
    Reports a file that CPython accepts but libcst rejects, or that is too
    deeply nested to analyse. This is a limitation of darklint, not an error
    in your code; the rest of the run goes on.

    ## Why is this bad?
    It is not: the file is simply not checked, and you should know that
    rather than read silence as a clean bill of health.

    ## Example
    ```python
    # a construct newer than the libcst release darklint runs on
    ```

    ## Fix safety
    No fix: upgrade libcst, or report the construct to darklint.
    """

    code = "DK003"
    name = "unsupported-syntax"
    message = "not analysed: {detail}"
    severity = Severity.INFO
    engine_rule = True
