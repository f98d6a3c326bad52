"""`search_status [--json]`: the backend, each index and its document count, and the outbox backlog with
its oldest entry (changes waiting for the index)."""
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from ... import backends, outbox, registry


class Command(BaseCommand):
    help = "Show the search backend, its indices and the outbox backlog."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        backend = backends.get()
        indices = backend.status(registry.all_types())
        waiting = outbox.status()
        oldest = waiting["oldest"]
        age = (timezone.now() - oldest).total_seconds() if oldest else None
        if o["json"]:
            self.stdout.write(json.dumps({"backend": backend.name, "indices": indices, "backlog": waiting["backlog"],
                                          "oldest": oldest.isoformat() if oldest else None,
                                          "oldest_age_seconds": age}, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"后端 / backend: {backend.name}")
        for i in indices:
            self.stdout.write(f"  {i['doctype']}: {i['documents']} documents in {i.get('index') or '-'}"
                              f" ({i['health']})")
        if oldest:
            self.stdout.write(f"待索引 / backlog: {waiting['backlog']} (oldest {oldest:%Y-%m-%d %H:%M:%S}, "
                              f"{age:.0f} s ago)")
        else:
            self.stdout.write("待索引 / backlog: 0")
