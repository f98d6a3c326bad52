"""User forms for Wagtail's user admin: a whole Chinese name (姓名) and the billing-system staff number (工号)."""
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.users import forms as wagtail_forms

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
