"""Read acknowledgement: a reader confirms "I have read V1.2"; the hall's manager sees who in the hall has
not read the current version (action handbook.unread_report, scoped to the hall in org.access)."""
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from org import access, auditlog
from org.models import User

from .models import Acknowledgement


def has_read(user, page):
    return Acknowledgement.objects.filter(user=user, page_id=page.pk, version=page.version).exists()


def acknowledge(user, page, request=None):
    """Record that `user` read the live version of `page` (once per version); returns the row."""
    if not access.can(user, "handbook.read"):
        raise PermissionDenied
    existing = Acknowledgement.objects.filter(user=user, page_id=page.pk, version=page.version).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(user=user, page_id=page.pk, version=page.version)
            auditlog.record("handbook.procedure.read", actor=user, obj=page, request=request,
                            details={"version": page.version})
    except IntegrityError:  # a double click: the other request recorded it
        return Acknowledgement.objects.get(user=user, page_id=page.pk, version=page.version)
    return ack


def halls_for(user):
    """The halls whose unread list `user` may see."""
    from org.models import Hall

    return access.visible(user, Hall.objects.filter(active=True), "handbook.unread_report")


def hall_members(hall):
    return User.objects.filter(is_active=True, role_assignments__hall=hall).distinct().order_by("username")


def not_read(user, page, hall):
    """Who in `hall` has not confirmed the live version of `page` (PermissionDenied outside the scope)."""
    if not access.can(user, "handbook.unread_report", hall):
        raise PermissionDenied
    read = Acknowledgement.objects.filter(page_id=page.pk, version=page.version).values("user_id")
    return list(hall_members(hall).exclude(pk__in=read))
