from django.core.management import call_command
from django.core.management.base import BaseCommand

from records import ocr


class Command(BaseCommand):
    help = "Start the task worker: re-queue OCR left unfinished by a killed worker, then run db_worker."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--stale-minutes", type=int, default=2)

    def handle(self, *args, **options):
        requeued = ocr.recover_stale(options["stale_minutes"])
        if requeued:
            self.stdout.write(f"重新排队 / re-queued OCR of records {requeued}")
        worker_args = ["--interval", "1", "--no-startup-delay"]
        if options["batch"]:
            worker_args.append("--batch")
        call_command("db_worker", *worker_args)
