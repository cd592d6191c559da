"""One module per rule; the registry (darklint.registry) lists them."""
