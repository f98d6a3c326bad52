import argparse
import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config import periodic
from records import ocr


class Command(BaseCommand):
    help = ("Start the task worker: re-queue OCR left unfinished by a killed worker, then run db_worker "
            "(in several processes with --processes).")

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--stale-minutes", type=int, default=2)
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--processes", type=int, default=1,
                            help="worker processes; OCR threads are shared out among them")

    def handle(self, *args, **options):
        requeued = ocr.recover_stale(options["stale_minutes"])
        if requeued:
            self.stdout.write(f"重新排队 / re-queued OCR of records {requeued}")
        processes = max(1, options["processes"])
        if options["child"]:
            pass  # the periodic jobs run once per worker, in its top-level process
        elif options["batch"]:
            periodic.run_once()
        else:
            periodic.start()
        if processes == 1:
            worker_args = ["--interval", "0.1", "--no-startup-delay", "--no-reload"]  # periodic jobs run here once
            if options["batch"]:
                worker_args.append("--batch")
            call_command("db_worker", *worker_args)
            return
        threads = max(1, (settings.OCR_THREADS or os.cpu_count() or 1) // processes)
        env = {**os.environ, "OCR_THREADS": str(threads)}
        command = [sys.executable, sys.argv[0], "run_worker", "--processes", "1", "--stale-minutes", "100000", "--child"]
        if options["batch"]:
            command.append("--batch")
        children = [subprocess.Popen(command, env=env) for _ in range(processes)]
        try:
            codes = [child.wait() for child in children]
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
        if any(codes):
            raise SystemExit(max(codes))
