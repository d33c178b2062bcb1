"""Whatever the service answers, the client returns a result or raises a LastfmError.

Hypothesis builds JSON answers from the members the real service uses, with numbers that are
not ASCII, too large for a date or too long to convert; the fake serves each of them over its
socket to every method of the client.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
import json

import aiohttp
from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.scrobbler.lastfm import (
    LastfmClient,
    LastfmError,
    Scrobble,
    Session,
    Track,
    User,
)
from tests.fakes.lastfm_server import API_KEY, API_SECRET, USERNAME, FakeLastfm
from tests.lastfm.clients import fake_client

MEMBERS = (
    "error",
    "message",
    "token",
    "session",
    "name",
    "key",
    "user",
    "playcount",
    "url",
    "image",
    "size",
    "#text",
    "registered",
    "unixtime",
    "recenttracks",
    "track",
    "artist",
    "album",
    "date",
    "uts",
    "@attr",
    "nowplaying",
    "scrobbles",
    "scrobble",
    "ignoredMessage",
    "code",
    "accepted",
    "ignored",
)
TRICKY_TEXTS = ("", "0", "1", "29", "true", "²", "١٢", "-1", "1e3", "9" * 20, "9" * 5000)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(TRICKY_TEXTS)
    | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(MEMBERS), children, max_size=6)
    ),
    max_leaves=25,
)
odd_answers = st.sampled_from(("[" * 100_000, '{"error": "²"}', "", "null", "[]"))

Call = Callable[[LastfmClient], Awaitable[object]]
# Each method, the member its answer holds, and the type it returns when the answer is good.
CALLS: dict[str, tuple[Call, str, type | None]] = {
    "auth.getToken": (lambda client: client.get_token(), "token", str),
    "auth.getSession": (lambda client: client.get_session("0" * 32), "session", Session),
    "user.getInfo": (lambda client: client.get_user_info(), "user", User),
    "user.getInfo of someone": (lambda client: client.get_user_info(USERNAME), "user", User),
    "user.getRecentTracks": (
        lambda client: client.get_recent_tracks(
            USERNAME, limit=3, from_=datetime(2024, 1, 1, tzinfo=UTC)
        ),
        "recenttracks",
        list,
    ),
    "track.updateNowPlaying": (
        lambda client: client.update_now_playing(Track("A", "T")),
        "nowplaying",
        type(None),
    ),
    "track.scrobble": (
        lambda client: client.scrobble([Scrobble(Track("A", "T"), 1)] * 2),
        "scrobbles",
        list,
    ),
    "track.love": (lambda client: client.love("A", "T"), "lfm", type(None)),
}


@st.composite
def answers(draw: st.DrawFn, member: str) -> str:
    """A body: odd text, or a JSON object around the member the method reads, or an error."""
    if draw(st.integers(0, 9)) == 0:
        return draw(odd_answers)
    body = draw(st.dictionaries(st.sampled_from(MEMBERS), json_values, max_size=2))
    body[member] = draw(
        st.dictionaries(st.sampled_from(MEMBERS), json_values, min_size=1, max_size=10)
        | json_values
    )
    return json.dumps(body)


def test_no_answer_escapes_as_another_exception(socket_enabled: None) -> None:
    loop = asyncio.new_event_loop()
    server = FakeLastfm()
    http: aiohttp.ClientSession | None = None

    async def start() -> LastfmClient:
        nonlocal http
        await server.start()
        server.register_app(API_KEY, API_SECRET)
        server.add_user(USERNAME)
        http = aiohttp.ClientSession()
        return fake_client(http, server, with_session_key=True)

    async def stop() -> None:
        if http is not None:
            await http.close()
        await server.stop()

    try:
        client = loop.run_until_complete(start())

        @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(
            call=st.sampled_from(sorted(CALLS)),
            status=st.sampled_from((200, 200, 200, 400, 500)),
            data=st.data(),
        )
        def answer_anything(call: str, status: int, data: st.DataObject) -> None:
            method, member, returns = CALLS[call]
            server.answer_next(data.draw(answers(member)), status=status)
            result: object
            try:
                result = loop.run_until_complete(method(client))
            except LastfmError as err:
                result = err
            if isinstance(result, LastfmError):
                assert str(result).startswith(call.split(maxsplit=1)[0])
                assert client.session_key not in str(result)
            else:
                assert type(result) is returns
            assert server._injected == []

        answer_anything()
    finally:
        loop.run_until_complete(stop())
        loop.close()
