"""Keras knowledge: name resolution and the per-file semantic model."""
