"""What the management commands share: the user a command acts as (`--as USER`), whose permissions, scope
and name the step and its event-log row use. One place, so every command refuses an unknown or deactivated
user with the same sentence."""
from django.core.management.base import CommandError

from .models import User


def acting_user(username):
    """The active user `username`, or None when no `--as` was given; CommandError otherwise."""
    if username is None or username == "":
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"没有在用的用户 {username}")
    return user
