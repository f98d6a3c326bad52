"""Print the state table of every stateful model (org/states.py): what may move from where to where, who
may make the move and what it logs. records/transitions.py carries the customer file's table as printed
here; tests/test_state_tables.py keeps that copy true."""
from django.core.management.base import BaseCommand

from org import states


class Command(BaseCommand):
    help = "Print the state tables (allowed moves) of the stateful models."

    def add_arguments(self, parser):
        parser.add_argument("model", nargs="?", help="app_label.Model, e.g. records.Record (default: all)")

    def handle(self, *args, **options):
        for model, machine in states.tables():
            label = f"{model._meta.app_label}.{model.__name__}"
            if options["model"] and options["model"].lower() != label.lower():
                continue
            self.stdout.write(f"{label} ({model._meta.verbose_name}): {machine.field}")
            self.stdout.write(machine.render())
            self.stdout.write("")
