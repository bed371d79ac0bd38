"""The error raised for missing, corrupt or malformed dataset files."""

from __future__ import annotations

from nsa.config import UsageError


class DataError(UsageError):
    """A dataset file is missing, fails its checksum or does not hold what it should.

    A `ValueError` (through `UsageError`), so the command line reports it in one line.
    """
