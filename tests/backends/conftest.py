"""Fixtures of the backend tests: the private engines they start on 127.0.0.1."""

from tests.backends.virtuoso_server import virtuoso_server

__all__ = ["virtuoso_server"]
