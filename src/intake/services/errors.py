"""Failures every service may report; str() is one Japanese line for the operator."""

from __future__ import annotations


class NotFound(Exception):
    """The record an operator named does not exist."""
