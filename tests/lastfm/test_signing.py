"""Signing (api_sig) and the authorization link, against vectors worked out by hand."""

import hashlib
import random

from hypothesis import given, strategies as st

from custom_components.scrobbler.lastfm import auth_page_url, sign


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def test_known_answer_get_session() -> None:
    params = {"token": "t456", "method": "auth.getSession", "api_key": "k123", "format": "json"}
    assert sign(params, "s789") == md5("api_keyk123methodauth.getSessiontokent456s789")


def test_known_answer_is_lowercase_hex() -> None:
    signature = sign({"method": "auth.getToken", "api_key": "k"}, "secret")
    assert signature == md5("api_keykmethodauth.getTokensecret")
    assert len(signature) == 32
    assert signature == signature.lower()
    int(signature, 16)


def test_arrays_sort_in_ascii_order() -> None:
    # ASCII order puts "artist[10]" before "artist[1]" (0x30 "0" < 0x5d "]").
    params = {f"artist[{i}]": f"A{i}" for i in (1, 10, 0, 2)}
    params["method"] = "track.scrobble"
    expected = "artist[0]A0artist[10]A10artist[1]A1artist[2]A2methodtrack.scrobble" + "S"
    assert sign(params, "S") == md5(expected)


def test_format_callback_and_api_sig_are_left_out() -> None:
    base = {"method": "user.getInfo", "api_key": "k", "sk": "session"}
    with_extras = {**base, "format": "json", "callback": "cb", "api_sig": "old"}
    assert sign(with_extras, "x") == sign(base, "x") == md5("api_keykmethoduser.getInfosksessionx")


def test_utf8() -> None:
    params = {"artist": "Björk", "track": "Jóga ♪", "method": "track.love"}
    expected = "artistBjörkmethodtrack.lovetrackJóga ♪" + "sécret"
    assert sign(params, "sécret") == md5(expected)


def test_auth_page_url() -> None:
    assert (
        auth_page_url("https://www.last.fm/api/auth/", "KEY", "TOK")
        == "https://www.last.fm/api/auth/?api_key=KEY&token=TOK"
    )
    assert (
        auth_page_url("http://host/auth?lang=en", "K", "T")
        == "http://host/auth?lang=en&api_key=K&token=T"
    )


names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
values = st.text(st.characters(codec="utf-8"), max_size=20)


@given(st.dictionaries(names, values, max_size=12), values, st.randoms(use_true_random=False))
def test_signature_is_the_md5_of_the_byte_sorted_pairs(
    params: dict[str, str], secret: str, rng: random.Random
) -> None:
    kept = sorted(
        (name for name in params if name not in ("format", "callback", "api_sig")),
        key=lambda name: name.encode("utf-8"),
    )
    expected = md5("".join(name + params[name] for name in kept) + secret)
    assert sign(params, secret) == expected
    shuffled = list(params.items())
    rng.shuffle(shuffled)
    assert sign(dict(shuffled), secret) == expected
