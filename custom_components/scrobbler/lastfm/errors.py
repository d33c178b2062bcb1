"""Typed errors of the Last.fm API.

The messages never contain a secret, a token or a session key, so that they can be logged
and shown as they are.
"""

from typing import Final

_AUTHENTICATION_FAILED: Final = 4
# Methods whose code 4 means that the token is not valid (any more), not that a session failed.
_TOKEN_METHODS: Final = frozenset({"auth.getSession"})
_OPERATION_FAILED: Final = 8
# Methods whose code 8 says "try again later" (auth.getToken: "error granting the request
# token"); elsewhere 8 is a refusal that must not be retried (https://www.last.fm/api/scrobbling).
_RETRY_LATER_ON_8: Final = frozenset({"auth.getToken"})


class LastfmError(Exception):
    """An error of a Last.fm call.

    Attributes:
        code: the Last.fm error code, or ``None`` when the error did not come from the API
            (network, timeout, an answer that is not the API's).
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        """Create an error with a message safe to log and the Last.fm code, if any."""
        super().__init__(message)
        self.code = code


class LastfmAuthError(LastfmError):
    """The credentials were rejected: session key (4, 9) or API key (26 suspended)."""


class LastfmInvalidApiKeyError(LastfmAuthError):
    """The API key is unknown (10)."""


class LastfmInvalidSignatureError(LastfmAuthError):
    """The signature is wrong (13): in practice, the API secret does not match the key."""


class LastfmTokenNotAuthorizedError(LastfmError):
    """The token has not been allowed by the user yet (14): keep waiting."""


class LastfmTokenExpiredError(LastfmError):
    """The token has expired or was used already (15, or 4 on auth.getSession): get a new one."""


class LastfmTemporaryError(LastfmError):
    """The service could not answer now: retry later.

    Codes 11 and 16, 8 on auth.getToken, HTTP 5xx, network failures and timeouts.
    """


class LastfmMalformedResponseError(LastfmTemporaryError):
    """The answer was not the API's (not JSON, truncated, or not of the documented shape)."""


class LastfmOutcomeUnknownError(LastfmTemporaryError):
    """A write was sent but no answer came: the service may have carried it out.

    Raised for a timeout or a dropped connection once the request body has started to go out
    (``track.scrobble``: check ``user.getRecentTracks`` before sending the plays again). The
    same failure before that point is a plain :class:`LastfmTemporaryError`.
    """


class LastfmRateLimitError(LastfmTemporaryError):
    """Too many requests (29, HTTP 429): back off."""


class LastfmInvalidRequestError(LastfmError):
    """The service refused this request (every other code): do not send it again as it is."""


_BY_CODE: Final[dict[int, type[LastfmError]]] = {
    9: LastfmAuthError,
    10: LastfmInvalidApiKeyError,
    11: LastfmTemporaryError,
    13: LastfmInvalidSignatureError,
    14: LastfmTokenNotAuthorizedError,
    15: LastfmTokenExpiredError,
    16: LastfmTemporaryError,
    26: LastfmAuthError,
    29: LastfmRateLimitError,
}


def error_for_code(code: int, message: str, *, method: str, with_session_key: bool) -> LastfmError:
    """Return the typed error for a Last.fm error code.

    Args:
        code: the ``error`` member of the answer.
        message: a message that is safe to show (already free of secrets).
        method: the API method called, e.g. ``auth.getSession``.
        with_session_key: whether the call carried a session key (``sk``).
    """
    error_type: type[LastfmError]
    if code == _AUTHENTICATION_FAILED:
        if method in _TOKEN_METHODS:
            error_type = LastfmTokenExpiredError
        elif with_session_key:
            error_type = LastfmAuthError
        else:
            error_type = LastfmInvalidRequestError
    elif code == _OPERATION_FAILED and method in _RETRY_LATER_ON_8:
        error_type = LastfmTemporaryError
    else:
        error_type = _BY_CODE.get(code, LastfmInvalidRequestError)
    return error_type(message, code)
