#!/usr/bin/env python
"""Django's command-line utility, with start-up checks (see config/startup.py)."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    from config import startup
    from config.env import ConfigError

    try:
        if len(sys.argv) > 1 and sys.argv[1] in startup.SERVING_COMMANDS:
            import django

            django.setup()
            startup.check_services()
        execute_from_command_line(sys.argv)
    except ConfigError as error:
        startup.fail(error)


if __name__ == "__main__":
    main()
