"""API tokens: django-rest-knox keeps only a SHA-512 digest of each token, every token expires, and each user
makes and revokes their own on the admin's API-token screen (org/token_views.py); an operator can do the same
from the shell (`manage.py api_token`). Every creation and revocation is written to the event log in the same
transaction. The token is shown once, at creation; afterwards only its first characters identify it.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken
from knox.settings import knox_settings

from . import auditlog


class TokenError(ValueError):
    """A request the token rules refuse; the message says why."""


def default_days():
    return max(1, knox_settings.TOKEN_TTL.days)


def tokens_of(user):
    return AuthToken.objects.filter(user=user).order_by("-created")


def _describe(instance):
    return ("knox.authtoken", instance.token_key, f"{instance.token_key}… ({instance.user.get_username()})")


def _actor(user, actor, actor_name):
    """Who acts: the given user, the token's owner on their own screen, or nobody (a named shell operator)."""
    if actor is not None or actor_name:
        return actor
    return user


def create(user, days=None, request=None, actor=None, actor_name=None):
    """A new token for `user`, valid `days` days; returns (AuthToken, the token text to show once)."""
    days = default_days() if days in (None, "") else days
    if not isinstance(days, int) or not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise TokenError(_("A token is valid for 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS})
    if not user.is_active:
        raise TokenError(_("This user is inactive."))
    actor = _actor(user, actor, actor_name)
    with transaction.atomic():
        instance, text = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
        auditlog.record("api_token.create", actor=actor, actor_name=actor_name, obj=_describe(instance),
                        details={"user": user.get_username(), "key": instance.token_key,
                                 "expiry": instance.expiry.isoformat(), "days": days}, request=request)
    return instance, text


def revoke(user, key, request=None, actor=None, actor_name=None):
    """Delete `user`'s token whose shown key is `key`; returns how many were revoked (0 or 1)."""
    actor = _actor(user, actor, actor_name)
    with transaction.atomic():
        instance = tokens_of(user).select_for_update().filter(token_key=key).first()
        if instance is None:
            return 0
        auditlog.record("api_token.revoke", actor=actor, actor_name=actor_name, obj=_describe(instance),
                        details={"user": user.get_username(), "key": instance.token_key,
                                 "expired": bool(instance.expiry and instance.expiry < timezone.now())},
                        request=request)
        instance.delete()
    return 1
