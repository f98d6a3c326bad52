"""OpenAPI schema: only our own API under /api/ (Wagtail's internal admin API is not a public interface)."""


def only_our_api(endpoints, **kwargs):
    return [e for e in endpoints if e[0].startswith("/api/")]
