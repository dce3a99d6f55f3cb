"""The one exception type that reaches users as a single line, never a traceback."""


class UserError(Exception):
    """Bad input from a user (path, format, values): the message names the problem in one line."""
