"""migrate as the tables' owner when DATABASE_MIGRATE_URL is set, then grant the runtime role (DATABASE_URL's
user) its privileges (org/dbroles.py). Without DATABASE_MIGRATE_URL this is Django's migrate unchanged."""
import dj_database_url
from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS, connections

from org import dbroles

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        if not settings.DATABASE_MIGRATE_URL or options["database"] != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        connection = connections[DEFAULT_DB_ALIAS]
        runtime_role = connection.settings_dict["USER"]
        owner = dj_database_url.parse(settings.DATABASE_MIGRATE_URL)
        saved = {key: connection.settings_dict[key] for key in CREDENTIALS}
        connection.close()
        connection.settings_dict.update({key: owner[key] for key in CREDENTIALS})
        try:
            super().handle(*args, **options)
            if owner["USER"] != runtime_role:
                dbroles.grant_runtime(connection, runtime_role)
                if options["verbosity"]:
                    self.stdout.write(f"Granted the runtime role {runtime_role} its privileges "
                                      "(event log: SELECT, INSERT only)")
        finally:
            connection.close()
            connection.settings_dict.update(saved)
