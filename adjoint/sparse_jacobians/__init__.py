"""sparse_jacobian"""
