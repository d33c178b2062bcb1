"""The acr_lastfm_auth command line, in-process (async_main, main) and as a subprocess."""

import asyncio
from collections.abc import Callable
import io
import json
import os
from pathlib import Path
import re
import runpy
import signal
import stat
import sys

import pytest

from custom_components.scrobbler.lastfm import cli
from custom_components.scrobbler.lastfm.cli import Console, async_main, main, read_stdin_line
from custom_components.scrobbler.lastfm.credentials import Credentials, save_credentials
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "script" / "acr_lastfm_auth"
URL_LINE = re.compile(r"^1\. Visit this URL in your browser: (?P<url>\S+)$", re.MULTILINE)


class FakeConsole(Console):
    """A console that answers Enter by running ``on_enter`` first (what the person does)."""

    def __init__(self, on_enter: Callable[[], object] | None = None, line: str = "\n") -> None:
        async def read_line() -> str:
            if on_enter is not None:
                on_enter()
            return line

        super().__init__(stdout=io.StringIO(), stderr=io.StringIO(), read_line=read_line)

    @property
    def out(self) -> str:
        assert isinstance(self.stdout, io.StringIO)
        return self.stdout.getvalue()

    @property
    def err(self) -> str:
        assert isinstance(self.stderr, io.StringIO)
        return self.stderr.getvalue()


def initial_args(server: FakeLastfm, path: Path, *extra: str) -> list[str]:
    return [
        "--api-key",
        API_KEY,
        "--api-secret",
        API_SECRET,
        "--credentials-file",
        str(path),
        "--api-root",
        server.api_root,
        "--auth-url",
        server.auth_url,
        *extra,
    ]


def saved_file(server: FakeLastfm, path: Path, **changes: str) -> Path:
    fields = {
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "session_key": server.issue_session(USERNAME),
        "username": USERNAME,
        **changes,
    }
    save_credentials(path, Credentials(**fields))
    return path


def assert_one_error_line(text: str, *fragments: str) -> None:
    lines = text.strip("\n").splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("acr_lastfm_auth: ")
    for fragment in fragments:
        assert fragment in lines[0]


# --- in-process -------------------------------------------------------------------------


async def test_initial_run(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = tmp_path / "lastfm_credentials.json"
    console = FakeConsole(on_enter=lambda: lastfm_server.approve_pending(USERNAME))
    assert await async_main(initial_args(lastfm_server, path), console=console) == 0
    session_key = lastfm_server.issue_session(USERNAME)
    (token,) = lastfm_server.tokens
    url = f"{lastfm_server.auth_url}?api_key={API_KEY}&token={token}"
    assert console.out == (
        "\nTo authenticate with Last.fm, please:\n"
        f"1. Visit this URL in your browser: {url}\n"
        "2. Log in to your Last.fm account if necessary\n"
        "3. Authorize this application\n"
        "4. Return here and press Enter when completed\n"
        "\nAuthentication successful!\n"
        f"Username: {USERNAME}\n"
        f"Session key: {session_key}\n"
        f"\nCredentials saved to: {path}\n"
        "You can use these credentials in the future with --use-saved\n"
    )
    assert console.err == ""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "session_key": session_key,
        "username": USERNAME,
        "auth_token": None,
        "token_created": None,
    }


async def test_use_saved(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = saved_file(lastfm_server, tmp_path / "creds.json")
    console = FakeConsole()
    args = ["--use-saved", "--credentials-file", str(path), "--api-root", lastfm_server.api_root]
    assert await async_main(args, console=console) == 0
    assert console.out == (
        f"Attempting to load saved Last.fm credentials from: {path}\n"
        "Successfully authenticated with Last.fm!\n"
        f"Username: {USERNAME}\n"
    )
    (request,) = lastfm_server.requests
    assert request.method == "user.getInfo"
    assert request.params["sk"] == lastfm_server.issue_session(USERNAME)
    assert "user" not in request.params


async def test_use_saved_names_another_user(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = saved_file(lastfm_server, tmp_path / "creds.json", username="bob")
    console = FakeConsole()
    args = ["--use-saved", "--credentials-file", str(path), "--api-root", lastfm_server.api_root]
    assert await async_main(args, console=console) == 0
    assert console.out.endswith(f"Username: {USERNAME}\nNote: the file names the user bob\n")


async def test_use_saved_revoked(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = saved_file(lastfm_server, tmp_path / "creds.json")
    lastfm_server.revoke_session(lastfm_server.issue_session(USERNAME))
    console = FakeConsole()
    args = ["--use-saved", "--credentials-file", str(path), "--api-root", lastfm_server.api_root]
    assert await async_main(args, console=console) == 1
    assert_one_error_line(console.err, "credentials were rejected", "error 9")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (
            '{"api_key": "k", "api_secret": "s", "session_key": null}',
            "no session_key: authenticate first, without --use-saved",
        ),
        ('{"api_secret": "s"}', "no api_key"),
        (None, "No such file or directory"),
    ],
)
async def test_use_saved_bad_file(
    lastfm_server: FakeLastfm, tmp_path: Path, content: str | None, fragment: str
) -> None:
    path = tmp_path / "creds.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    console = FakeConsole()
    args = ["--use-saved", "--credentials-file", str(path), "--api-root", lastfm_server.api_root]
    assert await async_main(args, console=console) == 1
    assert_one_error_line(console.err, fragment)
    assert lastfm_server.requests == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "--api-key and --api-secret are required"),
        (["--api-key", API_KEY], "--api-secret is required"),
        (["--api-secret", API_SECRET], "--api-key is required"),
    ],
)
async def test_missing_options(lastfm_server: FakeLastfm, args: list[str], fragment: str) -> None:
    console = FakeConsole()
    assert await async_main([*args, "--api-root", lastfm_server.api_root], console=console) == 2
    assert_one_error_line(console.err, fragment, "--use-saved")
    assert lastfm_server.requests == []


async def test_token_not_authorized(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    console = FakeConsole()
    assert await async_main(initial_args(lastfm_server, path), console=console) == 1
    assert "Authentication successful" not in console.out
    assert_one_error_line(console.err, "not authorized", "run the command again", "error 14")
    assert not path.exists()


async def test_token_expired(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = tmp_path / "creds.json"
    console = FakeConsole(on_enter=lambda: lastfm_server.advance(3600))
    assert await async_main(initial_args(lastfm_server, path), console=console) == 1
    assert_one_error_line(console.err, "expired", "error 15")


async def test_end_of_input(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    console = FakeConsole(line="")
    assert await async_main(initial_args(lastfm_server, tmp_path / "c.json"), console=console) == 1
    assert_one_error_line(console.err, "end of input")
    assert lastfm_server.requests_of("auth.getSession") == []


@pytest.mark.parametrize(
    ("key", "secret", "fragment"),
    [("f" * 32, API_SECRET, "API key is not valid"), (API_KEY, "0" * 32, "does not match")],
)
async def test_rejected_application(
    lastfm_server: FakeLastfm, tmp_path: Path, key: str, secret: str, fragment: str
) -> None:
    args = initial_args(lastfm_server, tmp_path / "c.json")
    args[1], args[3] = key, secret
    console = FakeConsole()
    assert await async_main(args, console=console) == 1
    assert_one_error_line(console.err, fragment)
    assert secret not in console.err


async def test_rate_limited(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    lastfm_server.fail_next(29)
    console = FakeConsole()
    assert await async_main(initial_args(lastfm_server, tmp_path / "c.json"), console=console) == 1
    assert_one_error_line(console.err, "slow down", "error 29")


async def test_refused_request(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    lastfm_server.fail_next(8, method="auth.getSession")
    console = FakeConsole(on_enter=lambda: lastfm_server.approve_pending(USERNAME))
    assert await async_main(initial_args(lastfm_server, tmp_path / "c.json"), console=console) == 1
    assert_one_error_line(console.err, "refused", "error 8")


async def test_token_not_granted(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    lastfm_server.fail_next(8, method="auth.getToken")
    console = FakeConsole()
    assert await async_main(initial_args(lastfm_server, tmp_path / "c.json"), console=console) == 1
    assert_one_error_line(console.err, "cannot talk to", "error 8")


async def test_unreachable(tmp_path: Path, socket_enabled: None) -> None:
    async with FakeLastfm() as gone:
        pass
    console = FakeConsole()
    assert await async_main(initial_args(gone, tmp_path / "c.json"), console=console) == 1
    assert_one_error_line(console.err, f"cannot talk to {gone.api_root}")


async def test_cannot_save(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    path = tmp_path / "missing-folder" / "creds.json"
    console = FakeConsole(on_enter=lambda: lastfm_server.approve_pending(USERNAME))
    assert await async_main(initial_args(lastfm_server, path), console=console) == 1
    assert_one_error_line(console.err, "cannot write", "No such file or directory")


@pytest.mark.parametrize("option", ["-V", "--version"])
async def test_version(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        await async_main([option])
    assert caught.value.code == 0
    manifest = json.loads((ROOT / "custom_components/scrobbler/manifest.json").read_text())
    assert capsys.readouterr().out == f"acr_lastfm_auth {manifest['version']}\n"


async def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        await async_main(["-h"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--api-key",
        "--api-secret",
        "--credentials-file PATH",
        "--use-saved",
        "-V, --version",
        "-h, --help",
        "--api-root",
        "--auth-url",
        "lastfm_credentials.json",
    ):
        assert option in out


async def test_main_runs_its_own_loop(
    lastfm_server: FakeLastfm, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved_file(lastfm_server, tmp_path / "creds.json")
    args = ["--use-saved", "--credentials-file", str(path), "--api-root", lastfm_server.api_root]
    assert await asyncio.to_thread(main, args) == 0
    assert f"Username: {USERNAME}" in capsys.readouterr().out


async def test_main_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def interrupted(argv: object = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "async_main", interrupted)
    assert await asyncio.to_thread(main, []) == 130
    assert capsys.readouterr().err == "\nacr_lastfm_auth: interrupted\n"


async def test_module_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["acr_lastfm_auth", "-V"])

    def run() -> None:
        runpy.run_module("custom_components.scrobbler.lastfm", run_name="__main__")

    with pytest.raises(SystemExit) as caught:
        await asyncio.to_thread(run)
    assert caught.value.code == 0


async def test_read_stdin_line_from_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "w") as writer:
        monkeypatch.setattr(sys, "stdin", stdin)
        reading = asyncio.ensure_future(read_stdin_line())
        await asyncio.sleep(0)
        assert not reading.done()
        writer.write("ok\n")
        writer.flush()
        assert await reading == "ok\n"


async def test_read_stdin_line_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "input.txt"
    path.write_text("\nrest\n", encoding="utf-8")
    with path.open(encoding="utf-8") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert await read_stdin_line() == "\n"


# --- as a subprocess, through script/acr_lastfm_auth ------------------------------------


async def spawn(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(SCRIPT),
        *args,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_for_url(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    seen = ""
    while (match := URL_LINE.search(seen)) is None:
        line = await process.stdout.readline()
        assert line, f"no link in {seen!r}"
        seen += line.decode()
    return match["url"]


async def finish(process: asyncio.subprocess.Process, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = await process.communicate(stdin)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_subprocess_initial_run_then_use_saved(
    lastfm_server: FakeLastfm, tmp_path: Path
) -> None:
    # No --credentials-file: the file is lastfm_credentials.json where the command runs.
    process = await spawn(
        "--api-key",
        API_KEY,
        "--api-secret",
        API_SECRET,
        "--api-root",
        lastfm_server.api_root,
        "--auth-url",
        lastfm_server.auth_url,
        cwd=tmp_path,
    )
    url = await wait_for_url(process)
    token = url.rsplit("token=", 1)[1]
    assert url == f"{lastfm_server.auth_url}?api_key={API_KEY}&token={token}"
    lastfm_server.approve(token, USERNAME)
    code, out, err = await finish(process, b"\n")
    assert (code, err) == (0, "")
    session_key = lastfm_server.issue_session(USERNAME)
    assert f"Authentication successful!\nUsername: {USERNAME}\nSession key: {session_key}\n" in out
    path = tmp_path / "lastfm_credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["session_key"] == session_key

    process = await spawn("--use-saved", "--api-root", lastfm_server.api_root, cwd=tmp_path)
    code, out, err = await finish(process)
    assert (code, err) == (0, "")
    assert out.endswith(f"Successfully authenticated with Last.fm!\nUsername: {USERNAME}\n")


async def test_subprocess_unauthorized_token(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    process = await spawn(*initial_args(lastfm_server, tmp_path / "c.json"), cwd=tmp_path)
    await wait_for_url(process)
    code, _, err = await finish(process, b"\n")
    assert code == 1
    assert_one_error_line(err, "not authorized")
    assert not (tmp_path / "c.json").exists()


async def test_subprocess_ctrl_c(lastfm_server: FakeLastfm, tmp_path: Path) -> None:
    process = await spawn(*initial_args(lastfm_server, tmp_path / "c.json"), cwd=tmp_path)
    await wait_for_url(process)
    process.send_signal(signal.SIGINT)
    code, _, err = await finish(process)
    assert code == 130
    assert err == "\nacr_lastfm_auth: interrupted\n"


@pytest.mark.parametrize(
    ("args", "file_text", "expected_code", "fragment"),
    [
        ([], None, 2, "--api-key and --api-secret are required"),
        (["--use-saved"], "{oops", 1, "not valid JSON"),
        (["--use-saved"], None, 1, "No such file or directory"),
    ],
)
async def test_subprocess_errors(
    tmp_path: Path,
    args: list[str],
    file_text: str | None,
    expected_code: int,
    fragment: str,
    socket_enabled: None,
) -> None:
    if file_text is not None:
        (tmp_path / "lastfm_credentials.json").write_text(file_text, encoding="utf-8")
    code, _out, err = await finish(await spawn(*args, cwd=tmp_path))
    assert code == expected_code
    assert_one_error_line(err, fragment)


async def test_subprocess_unreachable(tmp_path: Path, socket_enabled: None) -> None:
    async with FakeLastfm() as gone:
        pass
    code, out, err = await finish(
        await spawn(*initial_args(gone, tmp_path / "c.json"), cwd=tmp_path)
    )
    assert code == 1
    assert out == ""
    assert_one_error_line(err, "cannot talk to")


@pytest.mark.parametrize(("option", "fragment"), [("-V", "acr_lastfm_auth 0."), ("-h", "usage:")])
async def test_subprocess_version_and_help(tmp_path: Path, option: str, fragment: str) -> None:
    code, out, err = await finish(await spawn(option, cwd=tmp_path))
    assert (code, err) == (0, "")
    assert out.startswith(fragment)
