"""The editor's form of a procedure: it says a field changed only when its value did (issue 16, trap 4).

Django and Wagtail decide "changed" on what the browser sends, not on what it means: a browser sends every
multi-line text with CRLF line ends, so an unchanged objective or flowchart compares unequal with the stored
LF text; a StreamField compares its raw form data, so a key moment's time limit "3" differs from the stored
3; a date and time shown to the minute differs from a stored one with seconds. Wagtail's page editor saves a
new revision when the form has changed, even on 批准 in its footer, and with
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT a new revision sends the procedure back to the office. So an
approver who only clicked 批准 restarted the review. Here a field counts as changed only when its cleaned
value differs, line ends normalised; text is also stored with LF line ends.
"""
import datetime

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.blocks.base import BlockField


def _lf(value):
    """`value` with CRLF/CR line ends as LF, inside lists and dicts too (a StreamField's stored form)."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, list):
        return [_lf(v) for v in value]
    if isinstance(value, dict):
        return {k: _lf(v) for k, v in value.items()}
    return value


def _minute(value):
    return value.replace(second=0, microsecond=0) if isinstance(value, datetime.datetime) else value


class ProcedureForm(WagtailAdminPageForm):
    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and "\r" in value:
                cleaned[name] = _lf(value)
        return cleaned

    def _same(self, name):
        """Does the cleaned value of `name` equal its initial value? (None: cannot tell, e.g. not cleaned)"""
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is None or name not in cleaned:
            return None
        field, value = self.fields[name], cleaned[name]
        initial = self.get_initial_for_field(field, name)
        if isinstance(field, BlockField):
            return _lf(field.block.get_prep_value(initial)) == _lf(field.block.get_prep_value(value))
        if isinstance(value, str) or isinstance(initial, str):
            return _lf((initial or "").strip()) == _lf(value or "")
        if isinstance(value, datetime.datetime) and isinstance(initial, datetime.datetime):
            return _minute(initial) == _minute(value)
        return None

    @property
    def changed_data(self):  # not cached: asked for before and after cleaning
        return [name for name in super().changed_data if not self._same(name)]
