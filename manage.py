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
        command = sys.argv[1] if len(sys.argv) > 1 else "help"
        if command in startup.SERVING_COMMANDS:
            import django

            django.setup()
            startup.check_services(pii_key=command != "migrate")
        elif command not in startup.NO_DATA_COMMANDS and not command.startswith("-"):
            import django

            django.setup()
            startup.check_pii_key(database_required=False)
        execute_from_command_line(sys.argv)
        if command == "migrate":  # after migrating and granting, so the runtime role can read the check table
            startup.check_pii_key()
    except ConfigError as error:
        startup.fail(error)


if __name__ == "__main__":
    main()
