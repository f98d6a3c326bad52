"""Uploaded files under MEDIA_URL on the embedded default (`make run`): an allow-list, never customer files.

Scans, access copies and OCR pieces show ID numbers: they leave the server only through the records screens
and API, which check scope and write the event log. So this view does not refuse a list of private folders
(a path such as `./access/...`, `%2e/access/...` or `x/../access/...` slipped past such a check); it serves
only the folders named in PUBLIC, after refusing every path that is not already in its one normal form:
no empty, "." or ".." segment, no backslash, no NUL, nothing that normalises to another path, and the file
must really lie inside its public folder (symbolic links are followed before the check).

PUBLIC holds Wagtail's image files: the handbook's illustrations. The handbook is for signed-in readers,
so they are served only to users who may read it (handbook.read). Wagtail documents are not here: they go
through Wagtail's document view, which asks the same (handbook/wagtail_hooks.py).

Whether this view is mounted does not depend on DEBUG but on SERVE_MEDIA (on in the embedded default, off
in production, where files come from the S3 server through signed URLs and nothing under MEDIA_URL is
served by Django).
"""
import posixpath
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.views.static import serve

from org import access

# Folders under MEDIA_ROOT that may be served here (Wagtail's originals and renditions of images).
PUBLIC = frozenset({"original_images", "images"})


def clean_path(path):
    """The path if it is a plain relative path into a PUBLIC folder, else None."""
    if not path or "\\" in path or "\x00" in path:
        return None
    segments = path.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return None
    if posixpath.normpath(path) != path or segments[0] not in PUBLIC or len(segments) < 2:
        return None
    return path


def _inside(root, path):
    folder = (root / path.split("/", 1)[0]).resolve()
    target = (root / path).resolve()
    return target.is_relative_to(folder) and target != folder


def public_media(request, path):
    path = clean_path(path)
    root = Path(settings.MEDIA_ROOT)
    if path is None or not _inside(root, path):
        raise Http404("not served")
    if not access.can(request.user, "handbook.read"):
        raise Http404("not served")
    return serve(request, path, document_root=root)
