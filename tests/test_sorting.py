"""sorting: first-order cases against autograd (being written)."""

CASES = {}
