"""`search_reindex [--doctype NAME]`: rebuild an index from the database. On Elasticsearch a new index is
built beside the live one and the alias is moved in one request (searches never see a gap); changes made
meanwhile go to both. On the database backend the rebuild is one transaction.

Every document is built afresh through the registry, so its text is masked (org.pii.mask_text): run this
once after upgrading from a version that stored OCR text unmasked; the old index (Elasticsearch) or rows
(database) are dropped, not kept beside the new ones."""
import time

from django.core.management.base import BaseCommand, CommandError

from ... import backends, registry


class Command(BaseCommand):
    help = "Rebuild the search index of one or all document types, without a gap in service."

    def add_arguments(self, parser):
        parser.add_argument("--doctype", action="append", help="default: every registered type")

    def handle(self, *args, **o):
        backend = backends.get()
        try:
            kinds = [registry.get(n) for n in o["doctype"]] if o["doctype"] else registry.all_types()
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        for kind in kinds:
            started = time.perf_counter()
            try:
                count = backend.reindex(kind, progress=lambda n: self.stdout.write(f"  {n} …"))
            except backends.Unavailable as exc:
                raise CommandError(f"search is unavailable: {exc}") from None
            seconds = time.perf_counter() - started
            self.stdout.write(f"{kind.name}: {count} documents indexed in {seconds:.1f} s ({backend.name})")
