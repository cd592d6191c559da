"""Short, idiomatic PyTorch reference implementations linked from darklint rules.

Each module trains a tiny model end to end, exposes ``train(steps, seed, device)``
returning plain-number metrics, and runs as ``python -m reference_impls.<name>``.
See ``reference_impls/README.md`` for which rule links to which file.
"""
