"""``acr_lastfm_auth``: get a Last.fm session key with the desktop flow, as HiFiBerry ACR's tool.

Initial run (``--api-key K --api-secret S``): print the authorization link, wait for Enter, get
the session, print it and save the credentials file (mode 0600). ``--use-saved`` loads the file
and checks the session with a signed ``user.getInfo``. ``--api-root``/``--auth-url`` select
Libre.fm or another compatible service. Errors are one line on stderr and a non-zero exit.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
import json
from pathlib import Path
import sys
from typing import Final, TextIO

import aiohttp

from .client import LastfmClient, auth_page_url
from .credentials import (
    DEFAULT_CREDENTIALS_FILE,
    Credentials,
    CredentialsError,
    CredentialsMissingSessionKeyError,
    load_credentials,
    save_credentials,
)
from .errors import (
    LastfmAuthError,
    LastfmError,
    LastfmInvalidApiKeyError,
    LastfmInvalidSignatureError,
    LastfmRateLimitError,
    LastfmTemporaryError,
    LastfmTokenExpiredError,
    LastfmTokenNotAuthorizedError,
)
from .services import LASTFM

PROG: Final = "acr_lastfm_auth"
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130


def _read_version() -> str:
    manifest = Path(__file__).resolve().parents[1] / "manifest.json"
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


VERSION: Final = _read_version()


async def read_stdin_line() -> str:
    """Read a line from stdin without blocking the event loop (and without a thread)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    descriptor = sys.stdin.fileno()

    def readable() -> None:
        if not ready.done():
            ready.set_result(None)

    try:
        loop.add_reader(descriptor, readable)
    except PermissionError:
        # A regular file is always readable and cannot be watched.
        return sys.stdin.readline()
    try:
        await ready
    finally:
        loop.remove_reader(descriptor)
    return sys.stdin.readline()


@dataclass
class Console:
    """Where the command line talks to the person: injectable for tests."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    read_line: Callable[[], Awaitable[str]] = read_stdin_line

    def say(self, text: str = "") -> None:
        """Print a line on stdout, at once."""
        print(text, file=self.stdout, flush=True)

    def fail(self, text: str) -> None:
        """Print an error line on stderr."""
        print(f"{PROG}: error: {text}", file=self.stderr, flush=True)


class _CommandError(Exception):
    """An error already worded for the person, with the exit code to return."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the options (those of ``acr_lastfm_auth``, plus the service's)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Authenticate with Last.fm (desktop flow) and save the session key.",
    )
    parser.add_argument("--api-key", help="API key (required for the initial authentication)")
    parser.add_argument("--api-secret", help="API secret (required for the initial authentication)")
    parser.add_argument(
        "--credentials-file",
        metavar="PATH",
        default=DEFAULT_CREDENTIALS_FILE,
        help="path to save or load the credentials (default: %(default)s)",
    )
    parser.add_argument(
        "--use-saved", action="store_true", help="check the saved credentials with Last.fm"
    )
    parser.add_argument("-V", "--version", action="version", version=f"{PROG} {VERSION}")
    parser.add_argument(
        "--api-root",
        default=LASTFM.api_root,
        help="API root, for Libre.fm (https://libre.fm/2.0/) or another service (default: %(default)s)",
    )
    parser.add_argument(
        "--auth-url",
        default=LASTFM.auth_url,
        help="authorization page (Libre.fm: https://libre.fm/api/auth/; default: %(default)s)",
    )
    return parser


async def async_main(
    argv: Sequence[str] | None = None,
    *,
    console: Console | None = None,
    request_timeout: float = 10.0,
) -> int:
    """Run the command line; return the exit code.

    Raises:
        SystemExit: for ``-h``/``--version`` and options argparse rejects.
    """
    console = console or Console()
    args = build_parser().parse_args(argv)
    try:
        async with aiohttp.ClientSession() as session:
            if args.use_saved:
                await _check_saved(args, session, console, request_timeout)
            else:
                await _authenticate(args, session, console, request_timeout)
    except _CommandError as err:
        console.fail(str(err))
        return err.exit_code
    except CredentialsMissingSessionKeyError as err:
        console.fail(f"{err}: authenticate first, without --use-saved")
        return EXIT_FAILURE
    except CredentialsError as err:
        console.fail(str(err))
        return EXIT_FAILURE
    except LastfmError as err:
        console.fail(_explain(err, args.api_root))
        return EXIT_FAILURE
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line in its own event loop; Ctrl-C ends it cleanly."""
    try:
        return asyncio.run(async_main(argv))
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{PROG}: interrupted\n")
        return EXIT_INTERRUPTED


async def _authenticate(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    console: Console,
    request_timeout: float,
) -> None:
    """The initial run: token, link, Enter, session, file."""
    missing = [name for name in ("api_key", "api_secret") if not getattr(args, name)]
    if missing:
        options = " and ".join(f"--{name.replace('_', '-')}" for name in missing)
        verb = "are" if len(missing) > 1 else "is"
        msg = f"{options} {verb} required for the initial authentication (or use --use-saved)"
        raise _CommandError(msg, EXIT_USAGE)
    client = LastfmClient(
        session, args.api_key, args.api_secret, api_root=args.api_root, timeout=request_timeout
    )
    token = await client.get_token()
    console.say("\nTo authenticate with Last.fm, please:")
    console.say(
        f"1. Visit this URL in your browser: {auth_page_url(args.auth_url, args.api_key, token)}"
    )
    console.say("2. Log in to your Last.fm account if necessary")
    console.say("3. Authorize this application")
    console.say("4. Return here and press Enter when completed")
    if not await console.read_line():
        msg = "no Enter (end of input): the authorization was not completed"
        raise _CommandError(msg)
    granted = await client.get_session(token)
    console.say("\nAuthentication successful!")
    console.say(f"Username: {granted.name}")
    console.say(f"Session key: {granted.key}")
    credentials = Credentials(
        api_key=args.api_key,
        api_secret=args.api_secret,
        session_key=granted.key,
        username=granted.name,
    )
    await asyncio.to_thread(save_credentials, args.credentials_file, credentials)
    console.say(f"\nCredentials saved to: {args.credentials_file}")
    console.say("You can use these credentials in the future with --use-saved")


async def _check_saved(
    args: argparse.Namespace,
    session: aiohttp.ClientSession,
    console: Console,
    request_timeout: float,
) -> None:
    """``--use-saved``: load the file and check its session key with a signed user.getInfo."""
    console.say(f"Attempting to load saved Last.fm credentials from: {args.credentials_file}")
    credentials = await asyncio.to_thread(load_credentials, args.credentials_file)
    client = LastfmClient(
        session,
        credentials.api_key,
        credentials.api_secret,
        session_key=credentials.session_key,
        api_root=args.api_root,
        timeout=request_timeout,
    )
    user = await client.get_user_info()
    console.say("Successfully authenticated with Last.fm!")
    console.say(f"Username: {user.name}")
    if credentials.username and credentials.username.casefold() != user.name.casefold():
        console.say(f"Note: the file names the user {credentials.username}")


def _explain(err: LastfmError, api_root: str) -> str:
    """Word an API error for the person, in one line."""
    match err:
        case LastfmTokenNotAuthorizedError():
            reason = (
                "the application was not authorized when Enter was pressed: run the command "
                "again, open the link, allow access, then press Enter"
            )
        case LastfmTokenExpiredError():
            reason = "the authorization token expired: run the command again"
        case LastfmInvalidApiKeyError():
            reason = "the API key is not valid"
        case LastfmInvalidSignatureError():
            reason = "the API secret does not match the API key"
        case LastfmAuthError():
            reason = "the credentials were rejected: authenticate again without --use-saved"
        case LastfmRateLimitError():
            reason = f"{api_root} asks to slow down: try again in a minute"
        case LastfmTemporaryError():
            reason = f"cannot talk to {api_root}"
        case _:
            reason = "the request was refused"
    return f"{reason} ({err})"
