"""The embedded default (config.settings.dev) unchanged, plus one URL that fails (tests/embedded_urls.py),
to see what a user gets when a view raises."""
from config.settings.dev import *  # noqa: F401,F403

ROOT_URLCONF = "tests.embedded_urls"
