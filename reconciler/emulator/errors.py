"""What can go wrong starting the emulator, in the project's own error types."""

from __future__ import annotations

from reconciler.errors import ReconcilerError


class EmulatorError(ReconcilerError):
    """The emulator could not start or its input was refused."""


class SeedError(EmulatorError):
    """A seed file or mapping is not in the documented format."""
