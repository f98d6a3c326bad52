"""Reading the environment: every setting the app takes from outside is parsed here.

A malformed value raises ConfigError naming the variable; manage.py and wsgi.py turn that into one line
on stderr and a non-zero exit, so a wrong deployment stops at start-up instead of failing later.
"""
import os
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A setting from the environment is missing, malformed or points at something unreachable."""

    def __init__(self, variable, problem):
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")

    def one_line(self):
        return f"配置错误 / configuration error: {self.variable}: {self.problem}"


def get(name, default=None):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def require(name):
    value = get(name)
    if value is None:
        raise ConfigError(name, "is required but not set")
    return value


def get_bool(name, default=False):
    value = get(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected true/false, got {value!r}")


def get_int(name, default):
    value = get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {value!r}") from None


def get_list(name, default=()):
    value = get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def get_url(name, schemes, default=None):
    """A URL with one of the given schemes and a host; returns it unchanged."""
    value = get(name, default)
    if value is None:
        return None
    _check_url(name, value, schemes)
    return value


def _check_url(name, value, schemes):
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(name, f"malformed URL ({exc})") from None
    if parts.scheme not in schemes:
        raise ConfigError(name, f"malformed URL: scheme must be one of {', '.join(schemes)}, got {value!r}")
    if parts.scheme != "sqlite" and not parts.hostname:
        raise ConfigError(name, f"malformed URL: no host in {value!r}")
    del port


def get_url_list(name, schemes, default=None):
    """One URL or several separated by commas (the nodes of a cluster), each checked as get_url does;
    returns the value unchanged."""
    value = get(name, default)
    if value is None:
        return None
    for part in value.split(","):
        part = part.strip()
        if not part:
            raise ConfigError(name, f"malformed URL list: an empty entry in {value!r}")
        _check_url(name, part, schemes)
    return value
