"""The spec language as JSON Schema: generated from torch.nn, published, read back."""
