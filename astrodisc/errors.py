"""The one exception type that reaches users as a single line, never a traceback."""


class UserError(ValueError):
    """Bad input from a user (path, format, values): the message names the problem in one line.

    A ValueError, as scikit-learn's ``NotFittedError`` is: a caller catches a user's mistake the ordinary way,
    and the command line shows it as one line with exit code 2. A handler that turns a library's ValueError into
    a UserError of its own lets a UserError through unchanged (``except UserError: raise`` before it)."""
