"""Who is the client, and how did they reach us, when a reverse proxy stands in between.

A TLS-terminating proxy (nginx, HAProxy, a cloud load balancer) connects to Equimentor itself and
says in ``X-Forwarded-For``, ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` who the client was
and how it connected. Anyone can send those headers, so they are believed only from a peer whose
address is in ``TRUSTED_PROXIES`` (addresses or CIDR networks, parsed here and nowhere else);
from any other peer they are removed before anything reads them.

:class:`ProxyHeadersMiddleware` (first in ``MIDDLEWARE``) applies them: the request's scheme
(so the https redirect and secure cookies see https), its host (still checked against
``ALLOWED_HOSTS``) and ``REMOTE_ADDR``. Every other part of the code asks
:func:`client_address` for the client's address, never a header.

``X-Forwarded-For`` is read from the right: each hop that is itself a trusted proxy is passed
over, and the first address that is not is the client (a client can put anything on the left,
but not after the address its own connection came from).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
)
PEER_KEY = "equimentor.peer_address"  # REMOTE_ADDR as the server saw it (the proxy's address)
_CLIENT_ATTR = "_equimentor_client_address"


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {value!r} is not an IP address or network "
                "(write addresses or CIDR networks such as 10.0.0.5,192.168.0.0/16,::1)"
            ) from exc
    return tuple(networks)


def trusted_proxies() -> tuple[Network, ...]:
    """The networks of ``settings.TRUSTED_PROXIES``; ImproperlyConfigured if one is malformed."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def parse_address(value: str | None) -> Address | None:
    """An IP address from a header or ``REMOTE_ADDR`` (IPv4-mapped IPv6 as IPv4), or None."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None) -> bool:
    return address is not None and any(address in network for network in trusted_proxies())


def _last(meta, key: str) -> str:
    """The value the nearest proxy appended (a header may arrive as a comma-separated list)."""
    return meta.get(key, "").rpartition(",")[2].strip()


def resolve(meta) -> tuple[str, str | None, str | None]:
    """(client address, scheme or None, host or None) for a request's ``META``.

    The scheme and host are None unless a trusted proxy forwarded them.
    """
    peer_text = meta.get("REMOTE_ADDR", "")
    peer = parse_address(peer_text)
    if not is_trusted(peer):
        return (str(peer) if peer else peer_text), None, None
    client = peer
    for hop in reversed(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parse_address(hop)
        if address is None:  # garbage: the last trusted hop is as far as we can see
            break
        client = address
        if not is_trusted(address):
            break
    proto = _last(meta, "HTTP_X_FORWARDED_PROTO").lower()
    host = _last(meta, "HTTP_X_FORWARDED_HOST")
    return str(client), (proto if proto in {"http", "https"} else None), (host or None)


def client_address(request) -> str:
    """The client's IP address: the peer's, or what trusted proxies forwarded ('' if unknown).

    The one place to ask (rate limits, throttling, audit); never read ``X-Forwarded-For``.
    """
    address = getattr(request, _CLIENT_ATTR, None)
    if address is None:
        address = resolve(request.META)[0]
        setattr(request, _CLIENT_ATTR, address)
    return address


class ProxyHeadersMiddleware:
    """Apply a trusted proxy's forwarded scheme, host and client address; drop untrusted ones.

    Must come first in ``MIDDLEWARE``, before anything reads the scheme, host or address.
    """

    def __init__(self, get_response):
        trusted_proxies()  # a malformed TRUSTED_PROXIES stops the server starting
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        address, scheme, host = resolve(meta)
        setattr(request, _CLIENT_ATTR, address)
        meta[PEER_KEY] = meta.get("REMOTE_ADDR", "")
        meta["REMOTE_ADDR"] = address  # for libraries that read it (rate limits, sign-in throttle)
        if scheme:
            meta["wsgi.url_scheme"] = scheme
        if host:
            meta["HTTP_HOST"] = host
        for key in FORWARDED_HEADERS:  # consumed, or not to be believed: either way gone
            meta.pop(key, None)
        return self.get_response(request)
