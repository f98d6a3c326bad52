"""`api_token create USERNAME [--days N]` / `api_token list [USERNAME]` / `api_token revoke USERNAME KEY`: the
operator's path to the same hashed, expiring tokens users make on the admin's API-token screen. Replaces
DRF's drf_create_token (plain-text tokens that never expire); every creation and revocation is logged."""
import getpass

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from knox.models import AuthToken

from org import tokens
from org.models import User


class Command(BaseCommand):
    help = "Create, list or revoke a user's API tokens (hashed, expiring; logged)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="print a new token (shown only this once)")
        create.add_argument("username")
        create.add_argument("--days", type=int, help="validity in days (default API_TOKEN_DAYS)")
        listing = sub.add_parser("list", help="tokens by user, first characters, created and expiry")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke the token whose key (first characters) is given")
        revoke.add_argument("username")
        revoke.add_argument("key")

    def _user(self, username):
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user {username!r}") from None

    def handle(self, *args, verb, **options):
        operator = f"shell:{getpass.getuser()}"
        if verb == "create":
            try:
                instance, text = tokens.create(self._user(options["username"]), options.get("days"),
                                               actor_name=operator)
            except tokens.TokenError as exc:
                raise CommandError(str(exc)) from None
            self.stderr.write(f"valid until {timezone.localtime(instance.expiry):%Y-%m-%d %H:%M}; "
                              "shown only this once:")
            self.stdout.write(text)
        elif verb == "list":
            rows = AuthToken.objects.select_related("user").order_by("user__username", "-created")
            if options.get("username"):
                rows = rows.filter(user=self._user(options["username"]))
            for row in rows:
                expiry = timezone.localtime(row.expiry).strftime("%Y-%m-%d %H:%M") if row.expiry else "never"
                self.stdout.write(f"{row.user.username}\t{row.token_key}\t"
                                  f"{timezone.localtime(row.created):%Y-%m-%d %H:%M}\t{expiry}")
        else:
            if not tokens.revoke(self._user(options["username"]), options["key"], actor_name=operator):
                raise CommandError("no such token of that user")
            self.stdout.write("revoked")
