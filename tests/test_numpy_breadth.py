"""numpy_breadth: first-order cases against autograd (being written)."""

CASES = {}
