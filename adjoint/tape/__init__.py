"""Derivatives of traced numpy code.

``grad`` and ``value_and_grad`` (``grad``), ``jvp`` and ``jacobian`` (``jvp``), ``trace``
(``trace``); one reverse loop (``reverse.back_substitute``) and one forward loop
(``forward.forward_substitute``) over a tape serve them all, and compiled plans too.
"""
