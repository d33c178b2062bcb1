"""The acr_lastfm_auth credentials file: parsing, round trip, mode 0600, atomic writes."""

import json
from pathlib import Path
import stat

from hypothesis import given, strategies as st
import pytest

from custom_components.scrobbler.lastfm.credentials import (
    Credentials,
    CredentialsFileError,
    CredentialsFormatError,
    CredentialsMissingKeyError,
    CredentialsMissingSessionKeyError,
    load_credentials,
    parse_credentials,
    save_credentials,
)

# What ACR's tool writes (serde_json::to_string_pretty of LastfmCredentials) after a session.
ACR_FILE = """{
  "api_key": "0123456789abcdef0123456789abcdef",
  "api_secret": "fedcba9876543210fedcba9876543210",
  "session_key": "aaaabbbbccccddddeeeeffff00001111",
  "username": "alice",
  "auth_token": null,
  "token_created": null
}"""


def test_parse_acr_file() -> None:
    credentials = parse_credentials(ACR_FILE)
    assert credentials == Credentials(
        api_key="0123456789abcdef0123456789abcdef",
        api_secret="fedcba9876543210fedcba9876543210",
        session_key="aaaabbbbccccddddeeeeffff00001111",
        username="alice",
    )
    text = repr(credentials)
    assert "fedcba9876543210fedcba9876543210" not in text
    assert "aaaabbbbccccddddeeeeffff00001111" not in text


def test_written_like_acr() -> None:
    credentials = parse_credentials(ACR_FILE)
    assert credentials.to_json() == ACR_FILE + "\n"
    pending = Credentials("k", "s", auth_token="t", token_created=1_700_000_000)
    assert json.loads(pending.to_json()) == {
        "api_key": "k",
        "api_secret": "s",
        "session_key": None,
        "username": None,
        "auth_token": "t",
        "token_created": 1_700_000_000,
    }
    assert list(json.loads(pending.to_json())) == [
        "api_key",
        "api_secret",
        "session_key",
        "username",
        "auth_token",
        "token_created",
    ]


def test_pending_file_without_session_key() -> None:
    text = json.dumps({"api_key": "k", "api_secret": "s", "auth_token": "t", "token_created": 5})
    with pytest.raises(CredentialsMissingSessionKeyError) as caught:
        parse_credentials(text)
    assert caught.value.key == "session_key"
    credentials = parse_credentials(text, require_session_key=False)
    assert (credentials.session_key, credentials.auth_token, credentials.token_created) == (
        None,
        "t",
        5,
    )


@pytest.mark.parametrize(
    ("text", "error", "detail"),
    [
        ('{"api_key": "k",', CredentialsFormatError, "not valid JSON"),
        ("", CredentialsFormatError, "not valid JSON"),
        ('["k", "s"]', CredentialsFormatError, "not a JSON object"),
        ('{"api_secret": "s", "session_key": "x"}', CredentialsMissingKeyError, "no api_key"),
        ('{"api_key": "", "api_secret": "s"}', CredentialsMissingKeyError, "no api_key"),
        ('{"api_key": "k", "session_key": "x"}', CredentialsMissingKeyError, "no api_secret"),
        ('{"api_key": 5, "api_secret": "s"}', CredentialsFormatError, "api_key must be a string"),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": 12}',
            CredentialsFormatError,
            "session_key must be",
        ),
        ('{"api_key": "k", "api_secret": "s"}', CredentialsMissingSessionKeyError, "session_key"),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": null}',
            CredentialsMissingSessionKeyError,
            "session_key",
        ),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": ""}',
            CredentialsMissingSessionKeyError,
            "session_key",
        ),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": "x", "username": []}',
            CredentialsFormatError,
            "username must be",
        ),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": "x", "token_created": "1"}',
            CredentialsFormatError,
            "token_created",
        ),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": "x", "token_created": 1.5}',
            CredentialsFormatError,
            "token_created",
        ),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": "x", "token_created": -1}',
            CredentialsFormatError,
            "token_created",
        ),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": "x", "token_created": true}',
            CredentialsFormatError,
            "token_created",
        ),
    ],
)
def test_malformed(text: str, error: type[Exception], detail: str) -> None:
    with pytest.raises(error, match=detail) as caught:
        parse_credentials(text)
    assert type(caught.value) is error


def test_errors_never_hold_the_secret() -> None:
    secret = "my-very-secret-value"
    for text in (
        f'{{"api_key": "k", "api_secret": "{secret}", "session_key": 12}}',
        f'{{"api_key": "k", "api_secret": "{secret}"',
        f'{{"api_key": "k", "api_secret": "{secret}", "session_key": "x", "token_created": "{secret}"}}',
    ):
        with pytest.raises(CredentialsFormatError) as caught:
            parse_credentials(text)
        assert secret not in str(caught.value)


def test_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "lastfm_credentials.json"
    credentials = parse_credentials(ACR_FILE)
    save_credentials(path, credentials)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == ACR_FILE + "\n"
    assert load_credentials(path) == credentials
    assert load_credentials(str(path)) == credentials
    assert [p.name for p in tmp_path.iterdir()] == ["lastfm_credentials.json"]


def test_save_replaces_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    save_credentials(path, Credentials("k", "s", session_key="x"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(path).session_key == "x"


@pytest.mark.parametrize("failing", ["os.fchmod", "os.fsync"])
def test_save_is_never_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "creds.json"
    save_credentials(path, Credentials("k", "s", session_key="old"))
    open_before = len(list(Path("/proc/self/fd").iterdir()))

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, broken)
    with pytest.raises(CredentialsFileError, match="No space left on device"):
        save_credentials(path, Credentials("k", "s", session_key="new"))
    assert load_credentials(path).session_key == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["creds.json"]
    # The temporary file was closed, too.
    assert len(list(Path("/proc/self/fd").iterdir())) == open_before


def test_save_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CredentialsFileError, match=r"cannot write .*No such file or directory"):
        save_credentials(tmp_path / "nowhere" / "creds.json", Credentials("k", "s"))


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(CredentialsFileError, match="No such file or directory"):
        load_credentials(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CredentialsFileError, match="UnicodeDecodeError"):
        load_credentials(binary)
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(CredentialsFileError, match="Is a directory"):
        load_credentials(folder)


optional_text = st.none() | st.text(min_size=1)


@given(
    st.text(min_size=1),
    st.text(min_size=1),
    optional_text,
    optional_text,
    optional_text,
    st.none() | st.integers(min_value=0, max_value=2**64 - 1),
)
def test_round_trip(
    api_key: str,
    api_secret: str,
    session_key: str | None,
    username: str | None,
    auth_token: str | None,
    token_created: int | None,
) -> None:
    credentials = Credentials(api_key, api_secret, session_key, username, auth_token, token_created)
    parsed = parse_credentials(credentials.to_json(), require_session_key=False)
    assert parsed == credentials
