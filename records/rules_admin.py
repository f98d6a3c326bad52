"""Admin screens for the rules kept in the admin (issue 15): business types → category and transaction-number
formats, for those who may `record.rules` (org/access.py; superusers always). Both can be listed, added,
edited and (de)activated; there is no delete (a rule that no longer holds is deactivated, its history stays),
no copy, history or usage URL. Every save writes the event log in the transaction of the change, with the
values before and after. The field-reading settings (confidence threshold) are a Wagtail setting
(admin → 设置 → 识别设置); their changes are logged by `log_setting_change`.
"""
from django.db.models.signals import post_save, pre_save
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from org import auditlog
from org.middleware import current_request, current_user

from . import events
from .models import BusinessType, FieldReadingSettings, TransactionFormat


def snapshot(instance):
    return {f.attname: f.value_from_object(instance) for f in instance._meta.concrete_fields if f.attname != "id"}


class AuditedCreateView(generic.CreateView):
    create_event = None  # given by the viewset

    def save_instance(self):
        instance = super().save_instance()  # inside Wagtail's transaction
        auditlog.record(self.create_event, actor=self.request.user, obj=instance, request=self.request,
                        details=snapshot(instance))
        return instance


class AuditedEditView(generic.EditView):
    change_event = None  # given by the viewset

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        self.before = snapshot(obj)  # the form changes the object in place when it validates
        return obj

    def save_instance(self):
        instance = super().save_instance()  # inside Wagtail's transaction
        after = snapshot(instance)
        changed = {name: [self.before.get(name), value] for name, value in after.items()
                   if self.before.get(name) != value}
        auditlog.record(self.change_event, actor=self.request.user, obj=instance, request=self.request,
                        details={"changed": changed, "now": after})
        return instance


class RuleViewSet(ModelViewSet):
    """List, add and edit only: the other generic views are no URLs at all."""
    add_to_admin_menu = False  # in the 客户资料 submenu (records/wagtail_hooks.py)
    copy_view_enabled = False
    add_view_class = AuditedCreateView
    edit_view_class = AuditedEditView
    create_event = change_event = None

    def get_urlpatterns(self):
        return [path("", self.index_view, name="index"),
                path("results/", self.index_results_view, name="index_results"),
                path("new/", self.add_view, name="add"),
                path(f"edit/<{self.pk_path_converter}:pk>/", self.edit_view, name="edit")]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("delete", "history", "usage", "copy"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_add_view_kwargs(self, **kwargs):
        return super().get_add_view_kwargs(create_event=self.create_event, **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(change_event=self.change_event, **kwargs)


class BusinessTypeViewSet(RuleViewSet):
    model = BusinessType
    icon = "list-ul"
    menu_label = _("Business types")
    create_event, change_event = events.BUSINESS_TYPE_CREATE, events.BUSINESS_TYPE_CHANGE
    form_fields = ["name", "category", "active"]
    list_display = ["name", "category", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]


class TransactionFormatViewSet(RuleViewSet):
    model = TransactionFormat
    icon = "code"
    menu_label = _("Transaction number formats")
    list_filter = ["active"]
    create_event, change_event = events.TRANSACTION_FORMAT_CREATE, events.TRANSACTION_FORMAT_CHANGE
    form_fields = ["operator", "template", "prefixes", "active"]
    list_display = ["operator", "template", "prefixes", "active"]
    search_fields = ["operator", "template"]


def _remember_setting(sender, instance, raw=False, **kwargs):
    old = sender.objects.filter(pk=instance.pk).values("confidence_threshold").first() if instance.pk else None
    instance._logged_before = old


def log_setting_change(sender, instance, created, raw=False, **kwargs):
    """A changed field-reading setting → one event, in the transaction of the save (Wagtail's settings view
    saves inside one). The row's creation (with its defaults, by FieldReadingSettings.load) is no change."""
    if raw or created:
        return
    before = getattr(instance, "_logged_before", None) or {}
    after = snapshot(instance)
    changed = {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
    if changed:
        auditlog.record(events.FIELD_READING_CHANGE, actor=current_user(), obj=instance, request=current_request(),
                        details={"changed": changed})


def connect():
    """Called once by records.apps.RecordsConfig.ready."""
    pre_save.connect(_remember_setting, sender=FieldReadingSettings, dispatch_uid="records-rules-before")
    post_save.connect(log_setting_change, sender=FieldReadingSettings, dispatch_uid="records-rules-log")
