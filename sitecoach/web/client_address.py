"""Who is asking: the client's address behind a configured number of trusted proxies, and whether a request
comes straight from this machine."""

from __future__ import annotations

import ipaddress

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Headers a proxy adds when it relays someone else's request.
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
IPV6_CLIENT_PREFIX = 64  # one IPv6 subscriber usually holds a whole /64


def trust_proxies(app: Flask, hops: int) -> None:
    """Read the client address from X-Forwarded-For, trusting exactly `hops` proxies (0: the socket peer)."""
    if hops > 0:
        # Only the address: the scheme and host stay as Flask sees them (CSRF's referrer check and the
        # webhook signature, which uses PUBLIC_BASE_URL, do not depend on what a proxy claims).
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=0, x_host=0, x_port=0, x_prefix=0)
        app.wsgi_app = proxied  # type: ignore[method-assign]


def client_key() -> str:
    """The requesting client as a throttle key: its address, or its /64 for IPv6."""
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def _socket_peer() -> str:
    """The address of whoever opened the connection (before any X-Forwarded-For rewriting)."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return str(original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or "")


def is_direct_local_request() -> bool:
    """True for a browser on this machine talking to us directly: a loopback peer and no proxy relaying."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False  # a proxy on this machine relaying someone else's request
    try:
        return ipaddress.ip_address(_socket_peer()).is_loopback
    except ValueError:
        return False
