"""Explicit transitions of the chain, in the manner of wagtail/actions/publish_revision.py: check() asks
org.access and the preconditions, execute() makes the change and writes the event log; run() does both in one
database transaction, so a refused step changes nothing. Every state a step changes goes through
org.states.move and the tables in archive/models.py, which check the state and the permission again under
the row lock."""
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from org import access, auditlog, states

ChainError = states.Refused  # a step that is not possible now; the message says why, in words the user knows


def require(actor, action, obj):
    if not access.can(actor, action, obj):
        raise PermissionDenied(_("You may not do this here (%(action)s)") % {"action": action})


def log(action, actor, obj, request=None, **details):
    return auditlog.record(action, actor=actor, obj=obj, request=request, details=details)


class Transition:
    action = ""  # the org.access action the actor needs on scope_object()
    signing = False  # True: the step is signed; self.password is verified first (archive/signatures.py)

    def __init__(self, actor, request=None):
        self.actor = actor
        self.request = request

    def scope_object(self):
        raise NotImplementedError

    def check(self):
        require(self.actor, self.action, self.scope_object())

    def execute(self):
        raise NotImplementedError

    def signing_document(self):
        """What the event log names when the signing password is wrong."""
        obj = self.scope_object()
        if obj is None:
            return {"step": self.action}
        return {"type": f"{obj._meta.app_label}.{obj._meta.model_name}", "id": str(obj.pk),
                "repr": str(obj)[:200], "step": self.action}

    def run(self):
        if self.signing:
            # Outside the transaction: a wrong password's count (django-axes) and log row must survive the
            # refusal that rolls the step back.
            from .signatures import verify_password

            verify_password(self.actor, self.password, self.request, self.signing_document())
        with transaction.atomic():
            self.check()
            return self.execute()

    def log(self, action, obj, **details):
        return log(action, self.actor, obj, self.request, **details)
