"""`login_lockouts list` / `login_lockouts unlock (--user NAME | --address IP | --all)`: the operator's view of
django-axes' failure counts, and lifting a lockout before its cool-off ends. Unlocking is written to the event
log (axes' own axes_reset* commands work too, but leave no trace there)."""
import getpass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from org import auditlog


class Command(BaseCommand):
    help = "List failed-password counts and lockouts, or lift a lockout (logged)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="user names and addresses with recent failures")
        unlock = sub.add_parser("unlock", help="forget the failures of a user name and/or an address")
        unlock.add_argument("--user", help="user name")
        unlock.add_argument("--address", help="client IP address")
        unlock.add_argument("--all", action="store_true", help="every user name and address")

    def handle(self, *args, verb, **options):
        if verb == "list":
            return self._list()
        return self._unlock(options.get("user"), options.get("address"), options.get("all"))

    def _list(self):
        """Failures within the cool-off, summed per user name and per address (each locks on its own)."""
        recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off())
        lines = 0
        for field, label in (("username", "user"), ("ip_address", "address")):
            for row in (recent.exclude(**{f"{field}__isnull": True}).values(field)
                        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time")).order_by(field)):
                locked = "LOCKED" if row["failures"] >= settings.AXES_FAILURE_LIMIT else ""
                self.stdout.write(f"{label}\t{row[field]}\t{row['failures']}\t"
                                  f"{timezone.localtime(row['last']):%Y-%m-%d %H:%M}\t{locked}")
                lines += 1
        if not lines:
            self.stdout.write("no recent failures")

    def _unlock(self, username, address, everything):
        if not (username or address or everything):
            raise CommandError("give --user, --address or --all")
        where = Q() if everything else Q(pk__in=[])
        if username:
            where |= Q(username=username)
        if address:
            where |= Q(ip_address=address)
        with transaction.atomic():
            count = AccessAttempt.objects.filter(where).delete()[0]
            auditlog.record("auth.lockout_reset", actor_name=f"shell:{getpass.getuser()}",
                            obj=("auth.user", "", username or ""),
                            details={"username": username or "", "address": address or "", "all": bool(everything),
                                     "rows": count})
        self.stdout.write(f"unlocked: {count} failure record(s) removed")
