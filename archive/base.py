"""Explicit transitions of the chain, in the manner of wagtail/actions/publish_revision.py: check() asks
org.access and the preconditions, execute() makes the change and writes the event log; run() does both in one
database transaction, so a refused step changes nothing."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from org import access, auditlog


class ChainError(Exception):
    """A step that is not possible now; the message says why, in words the user knows."""


def require(actor, action, obj):
    if not access.can(actor, action, obj):
        raise PermissionDenied(_("You may not do this here (%(action)s)") % {"action": action})


def log(action, actor, obj, request=None, **details):
    return auditlog.record(action, actor=actor, obj=obj, request=request, details=details)


class Transition:
    action = ""  # the org.access action the actor needs on scope_object()

    def __init__(self, actor, request=None):
        self.actor = actor
        self.request = request

    def scope_object(self):
        raise NotImplementedError

    def check(self):
        require(self.actor, self.action, self.scope_object())

    def execute(self):
        raise NotImplementedError

    def run(self):
        with transaction.atomic():
            self.check()
            return self.execute()

    def log(self, action, obj, **details):
        return log(action, self.actor, obj, self.request, **details)
