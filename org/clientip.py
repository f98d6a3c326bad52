"""Which address a request comes from: the socket, or behind our own reverse proxies the entry the outermost
of them appended to X-Forwarded-For. Used by the lockout (django-axes) and by the event log, so both name the
same address; entries further left are whatever the client sent and are never trusted."""
import ipaddress

from django.conf import settings


def client_ip(request):
    """The socket address; behind TRUSTED_PROXY_COUNT proxies, the address the outermost one appended to
    X-Forwarded-For (entries further left are whatever the client sent and are never trusted)."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
