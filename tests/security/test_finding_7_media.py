"""Finding 7 (media): the media host allowlist and the HTTP client parsed URLs differently, and redirects
were followed. Downloads go through the real twilio channel to local stand-ins for Twilio and an attacker."""

from __future__ import annotations

import pytest

from sitecoach.delivery.channels import ChannelError, TwilioChannel
from sitecoach.delivery.media_urls import MediaUrlError, MediaUrlPolicy
from tests.delivery import test_twilio_channel as channel_tests
from tests.stubs.twilio_stub import TwilioStub

JPEG = channel_tests.JPEG
stub = channel_tests.stub  # the Twilio stand-in, and the coach's services speaking to it
twilio_services = channel_tests.twilio_services

MEDIA_PATH = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Messages/MM" + "b" * 32 + "/Media/ME" + "c" * 32


@pytest.fixture
def attacker():
    """Another local server: anything it receives is a leak (and carries the request's credentials)."""
    with TwilioStub("AC" + "e" * 32, "attacker-token") as server:
        yield server


def _refused(channel: TwilioChannel, url: str, tmp_path, words: str) -> None:
    with pytest.raises(ChannelError) as err:
        channel.fetch_media(url, tmp_path, "photo")
    assert err.value.retryable is False and words in str(err.value), str(err.value)
    assert not list(tmp_path.iterdir())


def test_finding_7_a_backslash_host_the_old_check_read_as_twilio_is_never_fetched(
    twilio_services, attacker, tmp_path
):
    # urlparse saw the host "127.0.0.1:PORT\\@x.twilio.com" (ends in .twilio.com); requests fetched 127.0.0.1.
    url = f"{attacker.base_url}\\@x.twilio.com{MEDIA_PATH}"
    _refused(twilio_services.channel, url, tmp_path, "backslash")
    assert attacker.requests == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://user:secret@api.twilio.com" + MEDIA_PATH, "user info"),
        ("https://api.twilio.com:8443" + MEDIA_PATH, "not allowed"),
        ("https://api.twilio.com.evil.example" + MEDIA_PATH, "not allowed"),
        ("https://evil.twilio.com" + MEDIA_PATH, "not allowed"),
        ("https://mms.twiliocdn.com/whatever", "not allowed"),  # the CDN is a redirect target only
        ("http://api.twilio.com" + MEDIA_PATH, "not allowed"),
        ("https://api.twilio.com\t" + MEDIA_PATH, "whitespace"),
        ("ftp://api.twilio.com" + MEDIA_PATH, "not http"),
    ],
)
def test_finding_7_media_urls_with_parser_tricks_are_refused(twilio_services, tmp_path, url, words):
    _refused(twilio_services.channel, url, tmp_path, words)


def test_finding_7_user_info_in_front_of_the_real_host_is_refused(twilio_services, stub, tmp_path):
    url = stub.add_media(JPEG, "image/jpeg").replace("http://", "http://api.twilio.com@")
    _refused(twilio_services.channel, url, tmp_path, "user info")
    assert not [r for r in stub.requests if "/Media/" in r.path]


def test_finding_7_a_redirect_to_another_host_is_not_followed(twilio_services, stub, attacker, tmp_path):
    media_url = stub.add_media(JPEG, "image/jpeg")
    stub.redirect_media(media_url, attacker.add_media(b"\xff\xd8 not your photo", "image/jpeg"))
    _refused(twilio_services.channel, media_url, tmp_path, "redirect to a host not allowed")
    assert attacker.requests == []


def test_finding_7_a_redirect_within_the_allowlist_is_followed(twilio_services, stub, tmp_path):
    media_url = stub.add_media(b"unused", "image/jpeg")
    stub.redirect_media(media_url, stub.add_cdn_media(JPEG, "image/jpeg"))
    path, content_type = twilio_services.channel.fetch_media(media_url, tmp_path, "photo")
    assert path.read_bytes() == JPEG and content_type == "image/jpeg"
    [download, cdn] = [r for r in stub.requests if r.method == "GET"]
    assert download.basic_auth_ok and cdn.path.startswith("/cdn/")


def test_finding_7_endless_redirects_give_up(twilio_services, stub, tmp_path):
    media_url = stub.add_media(JPEG, "image/jpeg")
    stub.redirect_media(media_url, media_url)
    _refused(twilio_services.channel, media_url, tmp_path, "redirected too many times")


def test_finding_7_twilio_redirects_to_its_media_cdn_without_the_credentials():
    policy = MediaUrlPolicy("https://api.twilio.com")
    source = policy.source("https://api.twilio.com" + MEDIA_PATH)
    assert source.credentials and source.url == "https://api.twilio.com" + MEDIA_PATH
    cdn = policy.redirect(source.url, "https://mms.twiliocdn.com/AC/abc?Expires=1&Signature=x")
    assert cdn.host == "mms.twiliocdn.com" and cdn.credentials is False
    legacy = policy.redirect(source.url, "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC/x")
    assert legacy.credentials is False
    for location in (
        "https://s3-external-1.amazonaws.com/other-bucket/x",
        "http://mms.twiliocdn.com/x",
        "https://mms.twiliocdn.com:8443/x",
        "https://user@mms.twiliocdn.com/x",
        "//evil.example/x",
    ):
        with pytest.raises(MediaUrlError):
            policy.redirect(source.url, location)
    regional = policy.source("https://api.dublin.ie1.twilio.com" + MEDIA_PATH)
    assert regional.credentials
