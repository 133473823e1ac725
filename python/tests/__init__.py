"""Tests of the Python host (python/yimmo_host). Run from the repo root:

    python3 -m unittest discover -s python/tests -t python -v
"""
