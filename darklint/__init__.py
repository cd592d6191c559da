"""darklint: a static linter for Keras anti-patterns.

Importing this package is cheap on purpose: it must never import keras,
tensorflow or torch (the code it lints), and it defers libcst until a file
actually needs parsing.
"""

__version__ = "0.1.0"

# Where the rule documentation is published; the one place this URL lives.
DOCS_BASE_URL = "https://github.com/darklint/darklint/blob/main/docs/rules"
