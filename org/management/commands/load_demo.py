from django.core.management.base import BaseCommand

from org import demo


class Command(BaseCommand):
    help = "Load the demo organisation and users (idempotent)."

    def handle(self, *args, **options):
        users = demo.load()
        self.stdout.write(f"演示数据已就绪 / demo data ready: {len(users)} users, password {demo.DEMO_PASSWORD}")
        for username, role, scope in users:
            self.stdout.write(f"  {username:<14} {role.label}（{scope}）")
