from django.core.management.base import BaseCommand, CommandError

from org import auditlog


class Command(BaseCommand):
    help = "Walk the event log's hash chain; exit non-zero naming the first row that was changed, removed or reordered."

    def add_arguments(self, parser):
        parser.add_argument("--background", action="store_true",
                            help="queue the check for the task worker instead of running it here")

    def handle(self, *args, **options):
        if options["background"]:
            from org.tasks import verify_event_log

            result = verify_event_log.enqueue()
            self.stdout.write(f"已排队 / queued: task {result.id}")
            return
        try:
            count = auditlog.verify()
        except auditlog.ChainBroken as broken:
            raise CommandError(f"事件日志校验失败 / event log broken at row #{broken.seq}: {broken.reason}")
        self.stdout.write(f"事件日志完整 / event log intact: {count} rows")
