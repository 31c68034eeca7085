"""Tests of the linked-data service: /id/..., /def, /.well-known/void, /downloads."""
