from __future__ import annotations

from darklint.diagnostics import Severity
from darklint.rule import Rule


class UnusedSuppression(Rule):
    """A `# noqa: DK…` or `# darklint: ignore[…]` comment suppresses nothing.

    ## What it does
    Reports a suppression comment naming a darklint code (or slug) that no
    diagnostic on that line used, and one naming a code that does not exist.
    A bare `# noqa` and codes of other tools (`# noqa: E501`) are left alone.

    ## Why is this bad?
    A stale suppression hides the next real problem on that line: once the
    code it was written for is fixed, a new bug there would be silenced too.
    Like ruff's RUF100.

    ## Example
    ```python
    model.compile(optimizer="adam")  # noqa: DK104
    ```

    ## Fix safety
    No automatic fix yet: remove the comment (or the stale code in it) by hand.
    """

    code = "DK002"
    name = "unused-suppression"
    message = "unused suppression for {codes}"
    severity = Severity.WARNING
    engine_rule = True
