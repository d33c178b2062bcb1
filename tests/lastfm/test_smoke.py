from custom_components.scrobbler.lastfm import LastfmClient, Scrobble, Track
from tests.fakes.lastfm_server import USERNAME, FakeLastfm


async def test_desktop_auth_then_scrobble(client: LastfmClient, lastfm_server: FakeLastfm) -> None:
    token = await client.get_token()
    lastfm_server.approve(token, USERNAME)
    session = await client.get_session(token)
    assert session.name == USERNAME
    client.session_key = session.key
    user = await client.get_user_info()
    assert user.name == USERNAME
    assert user.playcount == 1234
    now = int(lastfm_server.clock)
    results = await client.scrobble([Scrobble(Track("A", "T", album="Al"), now - 100)])
    assert [r.accepted for r in results] == [True]
    recent = await client.get_recent_tracks(USERNAME, limit=5)
    assert [(r.artist, r.title, r.album) for r in recent] == [("A", "T", "Al")]
