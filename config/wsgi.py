"""WSGI entry point (gunicorn in production). Refuses to start on a wrong setting."""
import os

from config import startup
from config.env import ConfigError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    startup.check_services()
except ConfigError as error:
    startup.fail(error)
