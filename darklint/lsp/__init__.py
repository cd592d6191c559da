"""darklint's language server (``darklint lsp``, the ``lsp`` extra).

Diagnostics as you type, quick fixes, ``# darklint: ignore[...]``
suppressions, "fix all" and hovers, over stdio, for any LSP client.  Built on
pygls; the linter core never imports this package, so a plain
``pip install darklint`` (and every pre-commit environment) stays libcst-only.
"""

from __future__ import annotations

from darklint.lsp.server import DarklintServer, create_server, serve

__all__ = ["DarklintServer", "create_server", "serve"]
