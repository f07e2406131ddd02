"""What the generated code does when it runs: shapes, the symbolic probe, the checks."""
