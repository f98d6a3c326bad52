"""python manage.py import_handbook FILE [--dry-run] [--json] [--publish] [--as USERNAME]"""
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from handbook import importer, loader
from handbook.timelimits import label


class Command(BaseCommand):
    help = "Import a legacy handbook (.txt or .docx) as parts and procedures, version V1.0"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="parse and report, write nothing")
        parser.add_argument("--json", action="store_true", help="print the parsed tree as JSON")
        parser.add_argument("--publish", action="store_true",
                            help="publish at once (otherwise drafts that go through approval)")
        parser.add_argument("--as", dest="username", help="the user the import is recorded as")

    def handle(self, *args, file, dry_run, json: bool, publish, username, **options):
        try:
            tree = importer.parse(importer.read_file(file))
        except importer.ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        data = tree.as_dict()
        if not tree.parts:
            raise CommandError(_("No part (第一部分 …) found in %(file)s: nothing imported") % {"file": file})
        if not dry_run:
            user = None
            if username:
                from org.models import User

                user = User.objects.filter(username=username).first()
                if user is None:
                    raise CommandError(_("Unknown user %(name)s") % {"name": username})
            data["written"] = loader.load(tree, user=user, publish=publish)
        if json:
            self.stdout.write(_json_dumps(data))
            return
        totals = data["totals"]
        for part in data["parts"]:
            self.stdout.write(_("Part %(number)s %(title)s") % part)
            for proc in part["procedures"]:
                limits = ", ".join(label(t) for t in proc["time_limits"])
                line = _("%(number)s. %(title)s  [%(sections)s]  key moments: %(count)s") % {
                    "number": proc["number"], "title": proc["title"], "sections": ", ".join(proc["sections"]),
                    "count": proc["key_moment_count"]}
                if limits:
                    line += "  " + _("time limits: %(limits)s") % {"limits": limits}
                self.stdout.write("  " + line)
        for item in data["unplaced"]:
            self.stdout.write(self.style.WARNING(_("not placed: %(where)s: %(text)s") % item))
        for item in data["warnings"]:
            self.stdout.write(self.style.WARNING(f"{item['why']}: {item['where']}: {item['text']}"))
        self.stdout.write(_("%(parts)s parts, %(procedures)s procedures, %(key_moments)s key moments, "
                            "%(time_limits)s time limits, %(unplaced)s not placed, %(warnings)s warnings")
                          % totals)
        if "written" in data:
            self.stdout.write(_("written: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
                              % data["written"])
        elif dry_run:
            self.stdout.write(_("dry run: nothing written"))


def _json_dumps(data):
    return json.dumps(data, ensure_ascii=False, indent=2)
