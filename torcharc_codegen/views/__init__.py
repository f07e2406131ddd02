"""What the CLI shows of a spec: summary, picture, schema, search space."""
