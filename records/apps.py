from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Customer files")

    def ready(self):
        from . import rules_admin

        rules_admin.connect()  # the field-reading settings' changes go to the event log
