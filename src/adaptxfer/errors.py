"""User-facing errors.

Every mistake a user can make (a bad recipe, an unknown task, a missing asset) raises a
subclass of :class:`UserError` whose message names the file, key or line and what was
expected. The CLI prints the message without a traceback and exits with code 2.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or environment, not a bug in adaptxfer."""


class RecipeError(UserError):
    """A recipe file is missing, unreadable or does not match the schema."""


class UnknownNameError(UserError):
    """A task, backbone, method, composition or language name that adaptxfer does not know."""

    def __init__(self, what: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.what, self.name, self.known = what, name, list(known)
        shown = ", ".join(sorted(self.known)) or "(none)"
        super().__init__(f"unknown {what} {name!r}; expected one of: {shown}")


class MissingAssetError(UserError):
    """A model, dataset or package that a run needs is not available offline."""


class DataError(UserError):
    """A data file (a local split) is unreadable or a row does not fit its task: the
    message names the file, line and field, and what was expected."""


class UnsupportedError(UserError):
    """A combination the installed libraries or hardware cannot run (named in the message)."""


class HubError(UserError):
    """The Hugging Face Hub cannot serve a push or pull: offline, unreachable, no token,
    no such repo, or a repo whose files adaptxfer refuses to read (named in the message)."""
