"""Writing files safely (atomic, signal-aware) and telling when one is already current."""
