"""Authentication backend that answers Django's and Wagtail's permission checks from org.access."""
from django.contrib.auth.backends import ModelBackend

from . import access


class RoleBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser:
            return True
        action = access.DJANGO_PERMS.get(perm)
        if action is None:
            # Permissions we have not mapped (Wagtail's own pages, images ...) stay with Django's groups.
            return super().has_perm(user_obj, perm, obj)
        if obj is not None and action not in access.GLOBAL_ACTIONS:
            return access.can(user_obj, action, obj)
        # Without an object: does the user hold the action anywhere? (Listings then narrow by scope.)
        return bool(access.grants(user_obj, action))

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and user_obj.is_superuser:
            return True
        if any(p.startswith(app_label + ".") and self.has_perm(user_obj, p) for p in access.DJANGO_PERMS):
            return True
        return super().has_module_perms(user_obj, app_label)
