from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive chain")

    def ready(self):
        from . import restriction

        restriction.register()  # files under a customer's deletion request are hidden from ordinary views
