"""Compiled plans (``adjoint.compile``): trace once, replay the value and gradient many times."""
