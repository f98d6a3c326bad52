"""`login_lockouts list` / `login_lockouts unlock (--user NAME | --address IP | --all)`: the operator's view of
django-axes' failure counts, and lifting a lockout before its cool-off ends (also on the admin's 登录锁定
screen). Unlocking is written to the event log (axes' own axes_reset* commands work too, but leave no trace)."""
import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from org import lockout


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
            rows = lockout.recent_failures()
            for row in rows:
                until = f"LOCKED until {timezone.localtime(row['until']):%Y-%m-%d %H:%M}" if row["until"] else ""
                self.stdout.write(f"{row['kind']}\t{row['value']}\t{row['failures']}\t"
                                  f"{timezone.localtime(row['last']):%Y-%m-%d %H:%M}\t{until}")
            if not rows:
                self.stdout.write("no recent failures")
            return
        if not (options.get("user") or options.get("address") or options.get("all")):
            raise CommandError("give --user, --address or --all")
        count = lockout.unlock(options.get("user"), options.get("address"), options.get("all"),
                               actor_name=f"shell:{getpass.getuser()}")
        self.stdout.write(f"unlocked: {count} failure record(s) removed")
