"""Every method of the client against the strict fake, over a real socket."""

from datetime import UTC, datetime

import aiohttp
import pytest

from custom_components.scrobbler.lastfm import (
    LASTFM,
    LIBREFM,
    LastfmAuthError,
    LastfmClient,
    LastfmInvalidApiKeyError,
    LastfmInvalidRequestError,
    LastfmInvalidSignatureError,
    LastfmMalformedResponseError,
    LastfmTokenExpiredError,
    LastfmTokenNotAuthorizedError,
    RecentTrack,
    Scrobble,
    ScrobbleResult,
    Session,
    Track,
    User,
    custom_service,
)
from custom_components.scrobbler.lastfm.services import KNOWN_SERVICES
from tests.fakes.lastfm_server import (
    API_KEY,
    API_SECRET,
    USERNAME,
    FakeLastfm,
    RecordedRequest,
    expected_signature,
)

FULL_TRACK = Track(
    artist="Björk",
    title="Jóga",
    album="Homogenic",
    album_artist="Björk",
    track_number=3,
    duration=305,
    mbid="6d5cee2a-4b29-4b5c-9cd0-6c4d2e1f4f43",
)


def assert_signed(request: RecordedRequest) -> None:
    assert request.params["api_sig"] == expected_signature(request.params, API_SECRET)


def test_services() -> None:
    assert (LASTFM.id, LASTFM.api_root, LASTFM.auth_url) == (
        "lastfm",
        "https://ws.audioscrobbler.com/2.0/",
        "https://www.last.fm/api/auth/",
    )
    assert (LIBREFM.id, LIBREFM.api_root, LIBREFM.auth_url) == (
        "librefm",
        "https://libre.fm/2.0/",
        "https://libre.fm/api/auth/",
    )
    assert custom_service("http://h/2.0/", "http://h/auth/").id == "custom"
    assert KNOWN_SERVICES == {"lastfm": LASTFM, "librefm": LIBREFM}


async def test_defaults(http: aiohttp.ClientSession) -> None:
    client = LastfmClient(http, API_KEY, API_SECRET)
    assert client.api_root == LASTFM.api_root
    assert client.api_key == API_KEY
    assert client.session_key is None
    client.session_key = "abc"
    assert client.session_key == "abc"


# --- authentication ---------------------------------------------------------------------


async def test_desktop_auth(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    token = await client.get_token()
    assert token in lastfm_server.tokens
    with pytest.raises(LastfmTokenNotAuthorizedError) as caught:
        await client.get_session(token)
    assert caught.value.code == 14
    assert lastfm_server.approve_pending(USERNAME) == token
    session = await client.get_session(token)
    assert session == Session(USERNAME, lastfm_server.issue_session(USERNAME))
    assert session.key not in repr(session)

    get_token, not_yet, got = lastfm_server.requests
    for request in (get_token, not_yet, got):
        assert request.http_method == "POST"
        assert request.params["format"] == "json"
        assert request.params["api_key"] == API_KEY
        assert_signed(request)
    assert get_token.method == "auth.getToken"
    assert got.params["token"] == token
    assert "User-Agent" not in got.params


async def test_token_is_single_use(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    token = await client.get_token()
    lastfm_server.approve(token, USERNAME)
    await client.get_session(token)
    with pytest.raises(LastfmTokenExpiredError) as caught:
        await client.get_session(token)
    assert caught.value.code == 4


async def test_token_expires_after_an_hour(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    token = await client.get_token()
    lastfm_server.advance(3599)
    with pytest.raises(LastfmTokenNotAuthorizedError):
        await client.get_session(token)
    lastfm_server.approve(token, USERNAME)
    lastfm_server.advance(1)
    with pytest.raises(LastfmTokenExpiredError) as caught:
        await client.get_session(token)
    assert caught.value.code == 15


async def test_unknown_token(client: LastfmClient) -> None:
    with pytest.raises(LastfmTokenExpiredError):
        await client.get_session("0" * 32)


async def test_same_session_key_per_application_and_user(
    client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    keys = []
    for _ in range(2):
        token = await client.get_token()
        lastfm_server.approve(token, USERNAME)
        keys.append((await client.get_session(token)).key)
    assert keys[0] == keys[1]
    lastfm_server.revoke_session(keys[0])
    token = await client.get_token()
    lastfm_server.approve(token, USERNAME)
    assert (await client.get_session(token)).key != keys[0]


async def test_unknown_api_key(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    client = LastfmClient(http, "f" * 32, API_SECRET, api_root=lastfm_server.api_root)
    with pytest.raises(LastfmInvalidApiKeyError) as caught:
        await client.get_token()
    assert caught.value.code == 10


async def test_wrong_secret(http: aiohttp.ClientSession, lastfm_server: FakeLastfm) -> None:
    client = LastfmClient(http, API_KEY, "0" * 32, api_root=lastfm_server.api_root)
    with pytest.raises(LastfmInvalidSignatureError) as caught:
        await client.get_token()
    assert caught.value.code == 13


async def test_suspended_api_key(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    lastfm_server.suspend_app(API_KEY)
    with pytest.raises(LastfmAuthError) as caught:
        await user_client.get_user_info()
    assert caught.value.code == 26


# --- reads ------------------------------------------------------------------------------


async def test_user_info_of_the_session(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.user(USERNAME).image_url = "https://img/alice.png"
    user = await user_client.get_user_info()
    assert user == User(
        name=USERNAME,
        playcount=1234,
        url="https://www.last.fm/user/alice",
        image_url="https://img/alice.png",
        registered=datetime(2002, 11, 20, 11, 50, 40, tzinfo=UTC),
    )
    (request,) = lastfm_server.requests
    # A read, but POSTed: the session key stays out of the URL.
    assert request.http_method == "POST"
    assert request.query == {}
    assert request.params["sk"] == user_client.session_key
    assert "user" not in request.params
    assert_signed(request)


async def test_user_info_of_someone(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    lastfm_server.add_user("Bob", playcount=7)
    user = await client.get_user_info("bob")
    assert (user.name, user.playcount, user.image_url) == ("Bob", 7, None)
    (request,) = lastfm_server.requests
    assert request.http_method == "GET"
    assert request.query == request.params
    assert "api_sig" not in request.params
    assert "sk" not in request.params
    with pytest.raises(LastfmInvalidRequestError, match="User not found"):
        await client.get_user_info("nobody")


async def test_user_info_needs_a_session_key(
    client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    with pytest.raises(LastfmAuthError, match="needs a session key") as caught:
        await client.get_user_info()
    assert caught.value.code is None
    assert lastfm_server.requests == []


async def test_revoked_session(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    assert user_client.session_key is not None
    lastfm_server.revoke_session(user_client.session_key)
    with pytest.raises(LastfmAuthError) as caught:
        await user_client.get_user_info()
    assert caught.value.code == 9


async def test_session_key_of_another_application(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.register_app("1" * 32, "2" * 32)
    client = LastfmClient(
        http,
        "1" * 32,
        "2" * 32,
        session_key=lastfm_server.issue_session(USERNAME),
        api_root=lastfm_server.api_root,
    )
    with pytest.raises(LastfmAuthError):
        await client.get_user_info()


async def test_user_info_parsing(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    lastfm_server.answer_next(
        {
            "user": {
                "name": "carol",
                "playcount": 12,
                "image": {"size": "medium", "#text": "https://img/m.png"},
                "registered": {"#text": 1000000000},
            }
        }
    )
    user = await client.get_user_info("carol")
    assert user == User(
        "carol", 12, None, "https://img/m.png", datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
    )
    lastfm_server.answer_next({"user": {"name": "dave", "registered": {"#text": "never"}}})
    assert await client.get_user_info("dave") == User("dave", 0, None, None, None)
    lastfm_server.answer_next({"user": {"name": "eve", "playcount": "many"}})
    with pytest.raises(LastfmMalformedResponseError):
        await client.get_user_info("eve")
    lastfm_server.answer_next({"user": {"name": "eve", "image": [1, 2]}})
    with pytest.raises(LastfmMalformedResponseError):
        await client.get_user_info("eve")
    lastfm_server.answer_next({"user": []})
    with pytest.raises(LastfmMalformedResponseError, match="no 'user' object"):
        await client.get_user_info("eve")
    # Digits that are not ASCII, too many of them, a date out of range.
    for playcount in ("١٢", "²", "9" * 5000):
        lastfm_server.answer_next({"user": {"name": "eve", "playcount": playcount}})
        with pytest.raises(
            LastfmMalformedResponseError, match=r"user\.getInfo: .* \(a number was expected\)"
        ):
            await client.get_user_info("eve")
    for registered in ("²", "9" * 20):
        lastfm_server.answer_next({"user": {"name": "eve", "registered": {"unixtime": registered}}})
        assert (await client.get_user_info("eve")).registered is None
    lastfm_server.answer_next({"user": {"name": "eve", "image": "big"}})
    with pytest.raises(LastfmMalformedResponseError, match=r"user\.getInfo: .*a list of objects"):
        await client.get_user_info("eve")


async def test_recent_tracks(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    now = int(lastfm_server.clock)
    await user_client.scrobble(
        [
            Scrobble(Track("A1", "T1", album="Al1"), now - 900),
            Scrobble(Track("A2", "T2"), now - 600),
            Scrobble(Track("A3", "T3"), now - 300),
        ]
    )
    tracks = await user_client.get_recent_tracks(USERNAME, limit=2)
    assert tracks == [
        RecentTrack(
            artist,
            title,
            album=None,
            image_url=None,
            now_playing=False,
            played_at=datetime.fromtimestamp(timestamp, UTC),
        )
        for artist, title, timestamp in (("A3", "T3", now - 300), ("A2", "T2", now - 600))
    ]
    request = lastfm_server.requests[-1]
    assert request.http_method == "GET"
    assert request.params["limit"] == "2"
    assert "api_sig" not in request.params

    # One track comes as a single object, not an array.
    tracks = await user_client.get_recent_tracks(USERNAME)
    assert [track.title for track in tracks] == ["T3"]

    # The track playing now comes first, without a time, and in addition to the limit.
    await user_client.update_now_playing(Track("A4", "T4", album="Al4", duration=200))
    tracks = await user_client.get_recent_tracks(USERNAME)
    assert tracks[0] == RecentTrack(
        "A4", "T4", album="Al4", image_url=None, now_playing=True, played_at=None
    )
    assert [track.title for track in tracks] == ["T4", "T3"]

    # A time range.
    start = datetime.fromtimestamp(now - 700, UTC)
    end = datetime.fromtimestamp(now - 500, UTC)
    tracks = await user_client.get_recent_tracks(USERNAME, limit=10, from_=start, to=end)
    assert [track.title for track in tracks] == ["T2"]
    request = lastfm_server.requests[-1]
    assert (request.params["from"], request.params["to"]) == (str(now - 700), str(now - 500))


async def test_recent_tracks_empty(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    assert await client.get_recent_tracks(USERNAME, limit=1000) == []
    lastfm_server.answer_next({"recenttracks": {"@attr": {"total": "0"}}})
    assert await client.get_recent_tracks(USERNAME) == []


async def test_recent_tracks_extended_shape(
    client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.answer_next(
        {
            "recenttracks": {
                "track": [
                    {
                        "artist": {"name": "X", "url": "u"},
                        "name": "Y",
                        "album": {"#text": ""},
                        "image": [{"size": "small", "#text": "s"}, {"size": "large", "#text": "l"}],
                        "date": {"uts": "1700000000"},
                    },
                    {"artist": "Z", "name": "W", "@attr": {"nowplaying": "false"}},
                ]
            }
        }
    )
    assert await client.get_recent_tracks(USERNAME, limit=2) == [
        RecentTrack(
            "X",
            "Y",
            album=None,
            image_url="l",
            now_playing=False,
            played_at=datetime.fromtimestamp(1_700_000_000, UTC),
        ),
        RecentTrack("Z", "W", album=None, image_url=None, now_playing=False, played_at=None),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"recenttracks": {"track": "nope"}},
        {"recenttracks": {"track": [{"name": "no artist"}]}},
        {"recenttracks": {"track": [{"artist": "no name"}]}},
        {"recenttracks": []},
    ],
)
async def test_recent_tracks_malformed(
    client: LastfmClient, lastfm_server: FakeLastfm, body: object
) -> None:
    lastfm_server.answer_next(body)
    with pytest.raises(LastfmMalformedResponseError):
        await client.get_recent_tracks(USERNAME)


async def test_recent_tracks_arguments(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    for limit in (0, 1001):
        with pytest.raises(ValueError, match="limit"):
            await client.get_recent_tracks(USERNAME, limit=limit)
    with pytest.raises(ValueError, match="aware"):
        await client.get_recent_tracks(USERNAME, from_=datetime(2024, 1, 1))  # noqa: DTZ001
    assert lastfm_server.requests == []


# --- writes -----------------------------------------------------------------------------


async def test_now_playing(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    await user_client.update_now_playing(FULL_TRACK)
    playing = lastfm_server.now_playing_of(USERNAME)
    assert playing is not None
    assert (playing.artist, playing.track) == ("Björk", "Jóga")
    (request,) = lastfm_server.requests
    assert request.http_method == "POST"
    assert_signed(request)
    assert {name: request.params[name] for name in request.params if name != "api_sig"} == {
        "method": "track.updateNowPlaying",
        "api_key": API_KEY,
        "sk": user_client.session_key,
        "artist": "Björk",
        "track": "Jóga",
        "album": "Homogenic",
        "albumArtist": "Björk",
        "trackNumber": "3",
        "duration": "305",
        "mbid": "6d5cee2a-4b29-4b5c-9cd0-6c4d2e1f4f43",
        "format": "json",
    }
    # It ends with the track.
    lastfm_server.advance(305)
    assert lastfm_server.now_playing_of(USERNAME) is None


async def test_now_playing_sends_only_what_is_known(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    await user_client.update_now_playing(Track("A", "T", album=""))
    (request,) = lastfm_server.requests
    assert set(request.params) == {
        "method",
        "api_key",
        "sk",
        "artist",
        "track",
        "format",
        "api_sig",
    }


async def test_now_playing_malformed_answer(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.answer_next({})
    with pytest.raises(LastfmMalformedResponseError, match="no 'nowplaying' object"):
        await user_client.update_now_playing(Track("A", "T"))


async def test_scrobble_one(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    timestamp = int(lastfm_server.clock) - 400
    results = await user_client.scrobble([Scrobble(FULL_TRACK, timestamp)])
    assert results == [ScrobbleResult(accepted=True, ignored_code=0, ignored_message="")]
    (stored,) = lastfm_server.scrobbles_of(USERNAME)
    assert (stored.artist, stored.track, stored.timestamp) == ("Björk", "Jóga", timestamp)
    assert stored.params == {
        "artist": "Björk",
        "track": "Jóga",
        "timestamp": str(timestamp),
        "album": "Homogenic",
        "albumArtist": "Björk",
        "trackNumber": "3",
        "duration": "305",
        "mbid": "6d5cee2a-4b29-4b5c-9cd0-6c4d2e1f4f43",
    }
    (request,) = lastfm_server.requests
    assert request.http_method == "POST"
    assert request.params["artist[0]"] == "Björk"
    assert_signed(request)
    assert lastfm_server.user(USERNAME).playcount == 1235


async def test_scrobble_chosen_by_user(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    now = int(lastfm_server.clock)
    await user_client.scrobble(
        [
            Scrobble(Track("A", "Radio"), now - 300, chosen_by_user=False),
            Scrobble(Track("A", "Mine"), now - 200, chosen_by_user=True),
            Scrobble(Track("A", "Unsure"), now - 100),
        ]
    )
    (request,) = lastfm_server.requests
    assert (request.params["chosenByUser[0]"], request.params["chosenByUser[1]"]) == ("0", "1")
    assert "chosenByUser[2]" not in request.params
    assert [s.params.get("chosenByUser") for s in lastfm_server.scrobbles_of(USERNAME)] == [
        "0",
        "1",
        None,
    ]


async def test_scrobble_batch_with_ignored_items(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    now = int(lastfm_server.clock)
    lastfm_server.filtered_artists.add("Spam")
    lastfm_server.filtered_tracks.add("Jingle")
    results = await user_client.scrobble(
        [
            Scrobble(Track("A", "T0"), now - 100),
            Scrobble(Track("Spam", "T1"), now - 90),
            Scrobble(Track("B", "Jingle"), now - 80),
            Scrobble(Track("C", "Old"), now - 15 * 24 * 3600),
            Scrobble(Track("D", "Future"), now + 3600),
            Scrobble(Track("E", "T5"), now - 50),
        ]
    )
    assert [(r.accepted, r.ignored_code) for r in results] == [
        (True, 0),
        (False, 1),
        (False, 2),
        (False, 3),
        (False, 4),
        (True, 0),
    ]
    assert results[3].ignored_message == "Timestamp was too old"
    assert [s.track for s in lastfm_server.scrobbles_of(USERNAME)] == ["T0", "T5"]


async def test_scrobble_daily_limit(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    lastfm_server.daily_limit = 1
    now = int(lastfm_server.clock)
    results = await user_client.scrobble(
        [Scrobble(Track("A", "T0"), now - 100), Scrobble(Track("A", "T1"), now - 50)]
    )
    assert [(r.accepted, r.ignored_code) for r in results] == [(True, 0), (False, 5)]


async def test_scrobble_fifty(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    now = int(lastfm_server.clock)
    batch = [Scrobble(Track("A", f"T{i}"), now - 1000 + i) for i in range(50)]
    results = await user_client.scrobble(batch)
    assert all(result.accepted for result in results)
    assert len(results) == 50
    assert [s.track for s in lastfm_server.scrobbles_of(USERNAME)] == [f"T{i}" for i in range(50)]
    (request,) = lastfm_server.requests
    assert request.params["track[49]"] == "T49"
    assert request.params["track[10]"] == "T10"
    assert_signed(request)


@pytest.mark.parametrize("size", [0, 51])
async def test_scrobble_batch_size(
    user_client: LastfmClient, lastfm_server: FakeLastfm, size: int
) -> None:
    batch = [Scrobble(Track("A", "T"), 1_700_000_000)] * size
    with pytest.raises(ValueError, match="1 to 50"):
        await user_client.scrobble(batch)
    assert lastfm_server.requests == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"scrobbles": {"scrobble": [], "@attr": {"accepted": 0, "ignored": 0}}},
            "0 results for 1",
        ),
        (
            {
                "scrobbles": {
                    "scrobble": {"ignoredMessage": {"code": "0", "#text": ""}},
                    "@attr": {"accepted": 0, "ignored": 1},
                }
            },
            "counts do not match",
        ),
        ({"scrobbles": {"scrobble": {"ignoredMessage": {"code": "x"}}}}, "a number"),
        ({"scrobbles": "ok"}, "no 'scrobbles' object"),
    ],
)
async def test_scrobble_malformed_answers(
    user_client: LastfmClient, lastfm_server: FakeLastfm, body: object, detail: str
) -> None:
    lastfm_server.answer_next(body)
    with pytest.raises(LastfmMalformedResponseError, match=detail):
        await user_client.scrobble([Scrobble(Track("A", "T"), int(lastfm_server.clock))])


async def test_scrobble_answer_without_counts(
    user_client: LastfmClient, lastfm_server: FakeLastfm
) -> None:
    lastfm_server.answer_next({"scrobbles": {"scrobble": [{}, {"ignoredMessage": {"code": 3}}]}})
    results = await user_client.scrobble([Scrobble(Track("A", "T"), 1)] * 2)
    assert results == [
        ScrobbleResult(accepted=True, ignored_code=0, ignored_message=""),
        ScrobbleResult(accepted=False, ignored_code=3, ignored_message=""),
    ]


async def test_love_and_unlove(user_client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    await user_client.love("A", "T")
    assert lastfm_server.user(USERNAME).loved == {("A", "T")}
    await user_client.unlove("A", "T")
    assert lastfm_server.user(USERNAME).loved == set()
    for request in lastfm_server.requests:
        assert request.http_method == "POST"
        assert_signed(request)
    assert [r.method for r in lastfm_server.requests] == ["track.love", "track.unlove"]


@pytest.mark.parametrize("call", ["love", "unlove", "now_playing", "scrobble"])
async def test_writes_need_a_session_key(
    client: LastfmClient, lastfm_server: FakeLastfm, call: str
) -> None:
    calls = {
        "love": lambda: client.love("A", "T"),
        "unlove": lambda: client.unlove("A", "T"),
        "now_playing": lambda: client.update_now_playing(Track("A", "T")),
        "scrobble": lambda: client.scrobble([Scrobble(Track("A", "T"), 1)]),
    }
    with pytest.raises(LastfmAuthError, match="needs a session key"):
        await calls[call]()
    assert lastfm_server.requests == []


async def test_librefm_style_custom_root(
    http: aiohttp.ClientSession, lastfm_server: FakeLastfm
) -> None:
    service = custom_service(lastfm_server.api_root, lastfm_server.auth_url)
    client = LastfmClient(http, API_KEY, API_SECRET, api_root=service.api_root)
    token = await client.get_token()
    async with http.get(
        lastfm_server.auth_url, params={"api_key": API_KEY, "token": token}
    ) as page:
        assert page.status == 200
