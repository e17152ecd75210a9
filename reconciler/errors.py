"""The root of the project's error types, shared by every layer.

Each layer raises its own subclasses; the command line turns any of them into a
message on stderr and an exit code, never a traceback.
"""


class ReconcilerError(Exception):
    """A failure the user can act on; the message says what happened and what to do."""

    exit_code = 1


class RefusedError(ReconcilerError):
    """A guardrail or policy refused the operation; nothing was written."""

    exit_code = 3
