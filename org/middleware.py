"""Remembers the request being served, so model signals can name the actor in the event log."""
import threading

_state = threading.local()


def current_request():
    return getattr(_state, "request", None)


def current_user():
    request = current_request()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class CurrentRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _state.request = request
        try:
            return self.get_response(request)
        finally:
            _state.request = None
