"""`search QUERY [--as USERNAME] [--json] [--filter NAME=VALUE ...]`: the auditor's search from the shell.

With --as the user's scope applies (as on the screen); without it the shell operator searches everything.
"""
import json

from django.core.management.base import BaseCommand, CommandError

from org import access
from org.models import User

from ... import backends, query, registry, results


class Command(BaseCommand):
    help = "Search customer files (or another document type) by text, number or ID number."

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?", default="", metavar="QUERY")
        parser.add_argument("--as", dest="as_user", metavar="USERNAME", help="search in this user's scope")
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument("--doctype", default="record")
        parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                            help="e.g. --filter hall=H11 --filter date_from=2026-11-01 (repeatable)")
        parser.add_argument("--sort", default="")
        parser.add_argument("--page", default=1)
        parser.add_argument("--per-page", default=20)

    def handle(self, *args, **o):
        try:
            kind = registry.get(o["doctype"])
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        pairs = []
        for item in o["filter"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item!r}: write NAME=VALUE")
            pairs.append((name.strip(), value.strip()))
        filters = results.filters_from(pairs)
        try:
            parsed = query.parse(kind, o["text"], page=o["page"], per_page=o["per_page"], sort=o["sort"],
                                 **filters)
            if o["as_user"]:
                user = User.objects.filter(username=o["as_user"], is_active=True).first()
                if user is None:
                    raise CommandError(f"没有在用的用户 {o['as_user']} (no such active user)")
                reach = query.scope_for(user, kind)
            else:
                reach = access.Scope(everything=True)
            result = backends.get().search(kind, parsed, reach)
        except query.SearchInputError as exc:
            raise CommandError(str(exc)) from None
        except backends.Unavailable as exc:
            raise CommandError(f"search is unavailable: {exc}") from None
        if o["json"]:
            self.stdout.write(json.dumps(results.result_json(result), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{result.total} 条结果 / results (page {result.page}/{result.pages})")
        for h in result.hits:
            s = h.fields
            self.stdout.write(f"#{h.id}  {s.get('title', '')}  {s.get('business_date') or s.get('effective_from') or ''}"
                              f"  {s.get('hall') or ''}")
            if h.snippet:
                self.stdout.write("    " + results.snippet_text(h).replace("\n", " "))
