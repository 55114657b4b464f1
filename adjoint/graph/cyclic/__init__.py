"""graph/cyclic"""
