"""What every handbook page shows around its content: notices of versions about to take effect
(handbook/notices.py) and, for editors, the way back to the admin."""
from django import template
from django.urls import reverse
from django.utils import formats, translation
from wagtail.models import Page

from org import access

from .. import notices

register = template.Library()


@register.simple_tag(takes_context=True)
def upcoming_versions(context):
    """The notices, for a signed-in reader of the handbook only (the sign-in page extends the same base)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated or not access.can(user, "handbook.read"):
        return []
    return notices.upcoming()


@register.simple_tag(takes_context=True)
def admin_links(context):
    """{"admin": URL, "edit": URL or ""} for a user who may use the admin (an editor), else {}."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not access.can(user, "admin.access"):
        return {}
    page = context.get("page") or context.get("self")
    edit = ""
    if isinstance(page, Page) and page.pk and page.permissions_for_user(user).can_edit():
        edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    return {"admin": reverse("wagtailadmin_home"), "edit": edit}


@register.filter
def prose_date(value):
    """A date inside a sentence ("… 将于2026年12月3日生效"): the language's PROSE_DATE_FORMAT
    (config/formats/zh_Hans/formats.py), else its DATE_FORMAT (what tables and lists show)."""
    if not value:
        return ""
    for module in formats.get_format_modules(translation.get_language()):
        if getattr(module, "PROSE_DATE_FORMAT", None):
            return formats.date_format(value, module.PROSE_DATE_FORMAT)
    return formats.date_format(value, "DATE_FORMAT")
