"""What every upload channel (upload screen, API, report import) does before and after the intake: size
limits that act while the request is read, and the answer to a duplicate.

Django reads a multipart body before the view runs: small files into memory, larger ones (beyond
FILE_UPLOAD_MAX_MEMORY_SIZE) into a temporary file. A 300 MB file used to be received whole, then staged,
and only then measured. `LimitedUploadHandler` comes first in FILE_UPLOAD_HANDLERS and knows the limit of
the view the request goes to (`upload_limit` on the view function or class; otherwise the intake's
INTAKE_MAX_FILE_BYTES). A file part is dropped as soon as the request's Content-Length, the part's own
length or the bytes received pass that limit: nothing of it is kept in memory or on disk. The form fields
still arrive (the CSRF token), and the view answers 413 with `refusal(request)`.

A duplicate names the record that already holds the file only to a user who may see that record; anyone
else learns neither its number nor its hall (only to ask the archivist), and the attempt is logged.
"""
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from org import access, auditlog

from . import events

FORM_MARGIN = 64 * 1024  # room for the form fields and multipart boundaries beside the file


def upload_limit(limit):
    """Decorator for a view: the largest file (bytes, or a function returning bytes) it accepts."""
    def decorate(view):
        view.upload_limit = limit
        return view

    return decorate


def limit_for(request):
    """The upload limit of the view `request` is routed to, in bytes."""
    match = getattr(request, "resolver_match", None)
    func = match.func if match else None
    limit = None
    for holder in (func, getattr(func, "view_class", None), getattr(func, "cls", None)):
        limit = getattr(holder, "upload_limit", None)
        if limit is not None:
            break
    if limit is None:
        from .intake import max_file_bytes

        limit = max_file_bytes
    return limit() if callable(limit) else limit


class LimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = limit_for(self.request)
        self.body_too_large = bool(content_length) and content_length > self.limit + FORM_MARGIN
        return None  # the normal parser goes on, with this handler first

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.body_too_large or (self.content_length or 0) > self.limit:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file

    def _refuse(self):
        self.request.upload_refused = self.limit
        raise SkipFile  # Django drops the part and closes (deletes) what other handlers had started


def refusal(request):
    """The message for an upload that was too large, or None. Parses the request if that has not
    happened yet (works for Django's and DRF's request)."""
    request.FILES  # noqa: B018 - reading it runs the upload handlers
    limit = getattr(request, "upload_refused", None)
    if limit is None:
        return None
    shown = filesizeformat(limit).replace("\xa0", " ")
    return _("The file is larger than the %(limit)s allowed") % {"limit": shown}


def duplicate_answer(user, name, existing, message, request=None):
    """(message, existing record or None) for the sender of a file that `existing` already holds."""
    auditlog.record(events.RECORD_DUPLICATE_REFUSED, actor=user, obj=existing, request=request,
                    details={"file": name})
    if access.can(user, "record.view", existing):
        return message, existing
    return _("%(name)s was already received; ask the archivist") % {"name": name}, None


def answer_refused(user, refused, request=None):
    """A batch's refused parts [(name, message, existing or None)] as the sender may see them."""
    answers = []
    for name, message, existing in refused:
        if existing is not None:
            message, existing = duplicate_answer(user, name, existing, message, request)
        answers.append((name, message, existing))
    return answers
