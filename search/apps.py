from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        from config import periodic

        from . import outbox, registry, signals  # noqa: F401  (signals: records write outbox rows)
        from .documents import RECORD

        registry.register(RECORD)
        periodic.register("search.flush_outbox", 2, outbox.periodic_flush)
