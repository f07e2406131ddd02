"""Reading a spec: load it (YAML 1.2, located), validate it, normalize it, order its graph."""
