"""Channel adapters: one interface (base), one module per provider, a registry by kind."""
