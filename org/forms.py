"""User forms for Wagtail's user admin: a whole Chinese name (姓名) and the billing-system staff number (工号);
and the account's change-password form, whose old password counts towards the lockout like a sign-in."""
from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import PasswordChangeForm
from wagtail.users import forms as wagtail_forms

from . import lockout
from .models import User

EXTRA_FIELDS = ("full_name", "employee_no")


class _ChineseNameMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            if name in self.fields:
                self.fields[name].required = False
        self.fields["full_name"].required = True


class UserCreationForm(_ChineseNameMixin, wagtail_forms.UserCreationForm):
    email = forms.EmailField(required=False, label=_("Email"))

    class Meta(wagtail_forms.UserCreationForm.Meta):
        model = User
        fields = set(wagtail_forms.UserCreationForm.Meta.fields) | set(EXTRA_FIELDS)


class UserEditForm(_ChineseNameMixin, wagtail_forms.UserEditForm):
    email = forms.EmailField(required=False, label=_("Email"))

    class Meta(wagtail_forms.UserEditForm.Meta):
        model = User
        fields = set(wagtail_forms.UserEditForm.Meta.fields) | set(EXTRA_FIELDS)


class CountedPasswordChangeForm(PasswordChangeForm):
    """The old password goes through authenticate(), so django-axes counts a wrong one and refuses a locked
    user: an open session cannot be used to guess the password (which would then sign documents)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def _check(self, old):
        # Wagtail's account view builds and validates the form again to show its errors: one count per request.
        checked = self.request.__dict__.setdefault("_old_password_checked", {})
        if old not in checked:
            found = authenticate(self.request, username=self.user.get_username(), password=old) if old else None
            checked[old] = found is not None and found.pk == self.user.pk
        return checked[old]

    def clean_old_password(self):
        old = self.cleaned_data.get("old_password") or ""
        if self._check(old):
            return old
        if getattr(self.request, "axes_locked_out", False):
            raise ValidationError(lockout.message(self.request, {"username": self.user.get_username()}),
                                  code="locked_out")
        raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
