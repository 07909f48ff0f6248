"""Helpers the tests import: plain functions and classes, no fixtures.

Fixtures stay in the ``conftest.py`` files; what a test calls by name lives here:
``http`` (bearer headers), ``postgres`` (a fresh schema on the test server, written
once for the store, API, CLI and replica tests), ``stores`` (the store tests' database
handle and clock), ``servers`` (real server processes), ``browser`` (signing in) and
``guard`` (the rules a guard's flags name).
"""
