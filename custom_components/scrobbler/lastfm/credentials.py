"""The credentials file of ``acr_lastfm_auth`` (HiFiBerry ACR), read and written compatibly.

The file is pretty-printed JSON of ``api_key`` and ``api_secret`` (strings), ``session_key``,
``username`` and ``auth_token`` (string or null) and ``token_created`` (UNIX seconds, an
unsigned integer, or null). ACR writes the file after a session was granted, with the token
fields null.

Reading and writing files block: in Home Assistant, call :func:`load_credentials` and
:func:`save_credentials` in an executor; :func:`parse_credentials` is pure.
"""

from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import tempfile
from typing import Any, Final

FILE_MODE: Final = 0o600
DEFAULT_CREDENTIALS_FILE: Final = "lastfm_credentials.json"
_TEXT_FIELDS: Final = ("api_key", "api_secret")
_OPTIONAL_TEXT_FIELDS: Final = ("session_key", "username", "auth_token")


@dataclass(frozen=True)
class Credentials:
    """The contents of a credentials file; secrets are left out of ``repr``."""

    api_key: str
    api_secret: str = field(repr=False)
    session_key: str | None = field(default=None, repr=False)
    username: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    token_created: int | None = None

    def to_json(self) -> str:
        """Return the file's text: pretty-printed JSON with the keys in ACR's order."""
        data = {
            "api_key": self.api_key,
            "api_secret": self.api_secret,
            "session_key": self.session_key,
            "username": self.username,
            "auth_token": self.auth_token,
            "token_created": self.token_created,
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class CredentialsError(Exception):
    """A credentials file that cannot be used. The message never holds a secret."""


class CredentialsFileError(CredentialsError):
    """The file cannot be read or written."""


class CredentialsFormatError(CredentialsError):
    """The text is not JSON, not an object, or a key has a value of the wrong type."""


class CredentialsMissingKeyError(CredentialsError):
    """A required key is missing or empty.

    Attributes:
        key: the name of the key (``api_key``, ``api_secret`` or ``session_key``).
    """

    def __init__(self, key: str) -> None:
        """Name the missing key."""
        super().__init__(f"the credentials have no {key}")
        self.key = key


class CredentialsMissingSessionKeyError(CredentialsMissingKeyError):
    """The file has no session key: the authorization was not completed."""

    def __init__(self) -> None:
        """Name the session key."""
        super().__init__("session_key")


def parse_credentials(text: str, *, require_session_key: bool = True) -> Credentials:
    """Return the credentials of a file's text.

    Args:
        text: the contents of the file.
        require_session_key: fail when the session key is missing or null.

    Raises:
        CredentialsFormatError: not JSON, not an object, or a value of the wrong type.
        CredentialsMissingKeyError: the API key or secret is missing or empty.
        CredentialsMissingSessionKeyError: the session key is missing (when required).
    """
    try:
        data = json.loads(text)
    except ValueError:
        msg = "the credentials are not valid JSON"
        raise CredentialsFormatError(msg) from None
    if not isinstance(data, dict):
        msg = "the credentials are not a JSON object"
        raise CredentialsFormatError(msg)
    for key in _TEXT_FIELDS:
        if not _optional_str(data, key):
            raise CredentialsMissingKeyError(key)
    session_key = _optional_str(data, "session_key")
    if require_session_key and not session_key:
        raise CredentialsMissingSessionKeyError
    token_created = data.get("token_created")
    if token_created is not None and (
        not isinstance(token_created, int) or isinstance(token_created, bool) or token_created < 0
    ):
        msg = "token_created must be a number of seconds (an unsigned integer) or null"
        raise CredentialsFormatError(msg)
    return Credentials(
        api_key=data["api_key"],
        api_secret=data["api_secret"],
        session_key=session_key or None,
        username=_optional_str(data, "username") or None,
        auth_token=_optional_str(data, "auth_token") or None,
        token_created=token_created,
    )


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        msg = f"{key} must be a string or null"
        raise CredentialsFormatError(msg)
    return value


def load_credentials(
    path: str | os.PathLike[str], *, require_session_key: bool = True
) -> Credentials:
    """Read and parse a credentials file (blocking).

    Raises:
        CredentialsFileError: the file cannot be read.
        CredentialsError: see :func:`parse_credentials`.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        msg = f"cannot read {os.fspath(path)}: {_reason(err)}"
        raise CredentialsFileError(msg) from None
    return parse_credentials(text, require_session_key=require_session_key)


def save_credentials(path: str | os.PathLike[str], credentials: Credentials) -> None:
    """Write a credentials file atomically, readable by its owner only (mode 0600), blocking.

    The file is written under a temporary name in the same folder, created with mode 0600, and
    then renamed over ``path``: at no time is a partial file or a readable secret on disk.

    Raises:
        CredentialsFileError: the file cannot be written.
    """
    target = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as err:
        msg = f"cannot write {os.fspath(path)}: {_reason(err)}"
        raise CredentialsFileError(msg) from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), FILE_MODE)
            file.write(credentials.to_json())
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(target)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        msg = f"cannot write {os.fspath(path)}: {_reason(err)}"
        raise CredentialsFileError(msg) from None


def _reason(err: Exception) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return type(err).__name__
