from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandbookConfig(AppConfig):
    name = "handbook"
    verbose_name = _("Handbook")

    def ready(self):
        from config import periodic

        from . import signals
        from .scheduler import publish_scheduled

        signals.connect()
        # Scheduled publishing: a version with a future effective date goes live within a minute of it.
        periodic.register("handbook.publish_scheduled", 60, publish_scheduled)
