from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandbookConfig(AppConfig):
    name = "handbook"
    verbose_name = _("Handbook")

    def ready(self):
        from config import periodic
        from search import registry

        from . import signals
        from .scheduler import publish_scheduled

        signals.connect()
        from .indexing import doctype

        registry.register(doctype())  # procedures (current version) in the search app's index
        # Scheduled publishing: a version with a future effective date goes live within a minute of it.
        periodic.register("handbook.publish_scheduled", 60, publish_scheduled)
