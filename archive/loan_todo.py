"""The look-ups' and loans' rows of the 待办 list (archive/todo.py): requests waiting for the user as the
requester's superior, approved on-site loans to issue, and overdue loans to chase. Each a query with the
scope (and the superior rule) inside it."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org import access

from . import loans
from .models import Loan
from .todo import kind


def _loan_url(loan):
    return reverse("archive_admin:loan", args=[loan.pk])


@kind("approve_loans", _("Loan requests to approve"), "loan.approve")
def approve_loans(user):
    return loans.to_approve(user)[0].order_by("requested_at", "pk"), _loan_url


@kind("issue_loans", _("Approved loans to issue"), "loan.issue")
def issue_loans(user):
    waiting = access.visible(user, Loan.objects.filter(status=Loan.Status.APPROVED, form=Loan.Form.ON_SITE),
                             "loan.issue")
    return waiting.order_by("decided_at", "pk"), _loan_url


@kind("overdue_loans", _("Overdue loans"), "loan.issue")
def overdue_loans(user):
    """The archive chases them (the register's readers see them on the dashboard)."""
    waiting = access.visible(user, Loan.objects.filter(status=Loan.Status.ISSUED, due_at__lt=timezone.now()),
                             "loan.issue")
    return waiting.order_by("due_at", "pk"), _loan_url
