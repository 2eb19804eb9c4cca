"""Exception types shared by every layer.

Errors are classes, never integer codes. Every message is one line that says what was
wrong and where, so the CLI can print it as is.
"""

from __future__ import annotations


class FalconetError(Exception):
    """Base of every error falconet raises on purpose."""


class PrecisionError(FalconetError, ValueError):
    """A price or size is not representable, or breaks a venue's precision rule."""


class InvalidTransitionError(FalconetError):
    """An order event that the order's current state does not allow."""


class ClientIdError(FalconetError, ValueError):
    """A client order id that cannot be encoded or decoded."""


class ConfigError(FalconetError):
    """Invalid configuration; the message names the file, the field path and the reason."""
