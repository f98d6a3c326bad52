import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.core.management.base import BaseCommand

from records.watch import Watcher


class Command(BaseCommand):
    help = ("Watch INTAKE_DIR/<hall code>/<clerk username>/ and register every scan dropped there; "
            "taken files move to done/, refused ones to failed/ with a .reason.txt (links, FIFOs and hard "
            "links are refused, never followed).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="process what is there now, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes (default 5)")
        parser.add_argument("--stable", type=float, default=2.0,
                            help="seconds a file's size must stay unchanged before it is taken (default 2)")
        parser.add_argument("--dir", help="folder to watch (default: the INTAKE_DIR setting)")

    def handle(self, *args, **options):
        root = Path(options["dir"] or settings.INTAKE_DIR)
        root.mkdir(parents=True, exist_ok=True)
        watcher = Watcher(root, stable=options["stable"], log=self.stdout.write, log_error=self.stderr.write)
        if options["once"]:
            taken, waiting = watcher.run_until_settled()
            self.stdout.write(f"完成：处理 {taken} 个文件" + (f"，{waiting} 个仍在写入，下次再处理" if waiting else ""))
            return
        self.stdout.write(f"监视 {root}（每 {options['interval']:g} 秒一次，Ctrl+C 停止）")
        try:
            while True:
                close_old_connections()  # a long-running loop: drop a connection the database closed
                watcher.run_once()
                time.sleep(options["interval"])
        except KeyboardInterrupt:
            self.stdout.write("已停止")
