"""Behind a reverse proxy: X-Forwarded-* believed only from TRUSTED_PROXIES (equimentor.core.net)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from equimentor.core import net


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    return settings


def _through_middleware(**meta):
    request = RequestFactory().get("/", **meta)
    return net.ProxyHeadersMiddleware(lambda r: r)(request)


def test_a_direct_client_is_its_own_address(proxies):
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4")
    assert net.client_address(request) == "198.51.100.4"


def test_forwarded_headers_from_an_untrusted_peer_are_ignored_and_dropped(proxies):
    request = _through_middleware(
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    assert net.client_address(request) == "198.51.100.4"
    assert request.META["REMOTE_ADDR"] == "198.51.100.4"
    assert request.scheme == "http" and request.get_host() == "testserver"
    assert not any(key in request.META for key in net.FORWARDED_HEADERS)


def test_a_trusted_proxy_names_the_client_scheme_and_host(proxies):
    request = _through_middleware(
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="testserver",
    )
    assert net.client_address(request) == "203.0.113.9"
    assert request.META["REMOTE_ADDR"] == "203.0.113.9"  # what rate limits and axes read
    assert request.META[net.PEER_KEY] == "10.1.2.3"
    assert request.is_secure()
    assert request.build_absolute_uri("/x") == "https://testserver/x"


def test_addresses_a_client_writes_on_the_left_are_not_believed(proxies):
    # the client sent "X-Forwarded-For: 10.9.9.9, 1.2.3.4"; its own proxy appended its address
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 1.2.3.4, 203.0.113.9, 10.0.0.7"
    )
    assert net.client_address(request) == "203.0.113.9"  # 10.0.0.7 is a trusted hop: passed over


def test_a_garbage_hop_stops_the_walk_at_the_last_trusted_one(proxies):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, unknown, 10.0.0.7"
    )
    assert net.client_address(request) == "10.0.0.7"


def test_a_trusted_peer_without_forwarded_for_is_the_client(proxies):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    assert net.client_address(request) == "10.0.0.1"


def test_ipv6_ports_and_ipv4_mapped_addresses(proxies):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="[2001:db8::5]:51000"
    )
    assert net.client_address(request) == "2001:db8::5"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="::ffff:10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1:4711"
    )
    assert net.client_address(request) == "192.0.2.1"


def test_nothing_is_trusted_by_default(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert net.client_address(request) == "127.0.0.1"


def test_a_malformed_network_is_refused(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example.org"]
    with pytest.raises(ImproperlyConfigured, match="proxy.example.org"):
        net.trusted_proxies()
    with pytest.raises(ImproperlyConfigured):
        net.ProxyHeadersMiddleware(lambda r: r)


@pytest.mark.django_db
def test_https_redirect_believes_only_a_trusted_proxy(client, proxies):
    proxies.SECURE_SSL_REDIRECT = True
    behind = client.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert behind.status_code == 200
    plain = client.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="http")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/"
    spoofed = client.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301


@pytest.mark.django_db
def test_a_forwarded_host_is_still_checked_against_allowed_hosts(client, proxies):
    proxies.ALLOWED_HOSTS = ["mentoring.example.org"]
    ok = client.get(
        "/",
        REMOTE_ADDR="10.0.0.1",
        HTTP_HOST="10.0.0.20:8000",
        HTTP_X_FORWARDED_HOST="mentoring.example.org",
    )
    assert ok.status_code == 200
    refused = client.get(
        "/",
        REMOTE_ADDR="10.0.0.1",
        HTTP_HOST="mentoring.example.org",
        HTTP_X_FORWARDED_HOST="evil.example",
    )
    assert refused.status_code == 400
