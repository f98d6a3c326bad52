"""Uploaded files in development (DEBUG, `make run`): served by Django as usual, except the customer files.

Scans (masters/), access copies (access/) and OCR pieces (pieces/) show ID numbers: they leave the server
only through the records screens and API, which check scope and write the event log. A path under those
folders is a 404 here, whoever asks. In production nothing under MEDIA_URL is served by Django.
"""
from django.conf import settings
from django.http import Http404
from django.views.static import serve

PRIVATE = ("masters/", "access/", "pieces/")


def public_media(request, path):
    if path.lstrip("/").startswith(PRIVATE) or ".." in path:
        raise Http404("not served")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
