"""Wagtail's scheduled publishing, run by the worker every minute (config.periodic)."""
from django.core.management import call_command


def publish_scheduled():
    call_command("publish_scheduled", verbosity=0)
