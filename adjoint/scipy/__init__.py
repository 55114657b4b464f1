"""``adjoint.scipy``: scipy functions that trace, in autograd's layout (``import adjoint.scipy.special``)."""
