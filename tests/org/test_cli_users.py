"""Every command that acts as a user (`--as USER`) refuses an unknown or deactivated user with one sentence
and changes nothing (org/cli.py)."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from org.models import AuditEvent
from records.models import OperatorReport


@pytest.mark.parametrize("command", [
    ["import_operator_report", "{file}"],
    ["import_service_events", "{file}"],
    ["retention", "due"],
    ["record", "list"],
])
def test_unknown_or_deactivated_user_is_refused_by_name(command, users, tmp_path):
    source = tmp_path / "x.csv"
    source.write_text("受理编号\n", encoding="utf-8")
    inactive = users("clerk-H11")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    before = AuditEvent.objects.count()
    for name in ("nobody-here", "clerk-H11"):
        args = [part.format(file=source) for part in command]
        with pytest.raises(CommandError, match=f"没有在用的用户 {name}"):
            call_command(*args, "--as", name)
    assert AuditEvent.objects.count() == before and not OperatorReport.objects.exists()
