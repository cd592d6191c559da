"""darklint: a static linter for Keras anti-patterns.

Importing this package is cheap on purpose: it must never import keras,
tensorflow or torch (the code it lints), and it defers libcst until a file
actually needs parsing.
"""

# The one place the version lives: pyproject.toml reads it (`dynamic`), the
# cache, SARIF and `--version` import it; RELEASING.md says when to change it.
__version__ = "0.1.0"

# The repository, and where the rule documentation is published in it; the
# one place these URLs live.
REPOSITORY_URL = "https://github.com/darklint/darklint"
DOCS_BASE_URL = f"{REPOSITORY_URL}/blob/main/docs/rules"
