"""File operations in the watched intake folder that never follow a link.

Clerks write into that folder (often over a network share) and the watcher reads with more rights than
they have: a link there (to another hall's access copy, to another hall's folder, a done/ pointing
elsewhere, a reason file pointing anywhere) would make the watcher read or write what the clerk cannot.
Every step here goes from the root down one name at a time with O_NOFOLLOW, relative to the folder already
opened, so a link at any level is refused, also one swapped in after the listing; files open non-blocking
(a FIFO cannot hang the watcher) and must be regular files with no other name (hard link).
"""
import errno
import os
import stat
from itertools import count
from pathlib import Path

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

LINK, FOLDER, FILE, SPECIAL = "link", "folder", "file", "special"


class Refused(Exception):
    """Not a file the watcher may take; `kind` says why (LINK, SPECIAL, "hardlink", "place")."""

    def __init__(self, kind, name=""):
        self.kind = kind
        super().__init__(f"{kind}: {name}")


def kind_of(mode):
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISDIR(mode):
        return FOLDER
    return FILE if stat.S_ISREG(mode) else SPECIAL


def entries(dir_fd):
    """(name, kind) of a folder's entries, from lstat (a link is LINK whatever it points to)."""
    found = []
    with os.scandir(dir_fd) as listing:
        for entry in listing:
            try:
                found.append((entry.name, kind_of(entry.stat(follow_symlinks=False).st_mode)))
            except FileNotFoundError:  # gone since the listing
                continue
    return sorted(found)


def open_dir(root, parts=()):
    """fd of root/parts..., each part opened without following a link (the root itself is configured)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts:
            fd, parent = _step(part, DIR_FLAGS, fd), fd
            os.close(parent)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _step(name, flags, dir_fd):
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):  # a link (or no folder) where one should be
            raise Refused(LINK if _is_link(name, dir_fd) else "place", name) from None
        raise


def _is_link(name, dir_fd):
    try:
        return stat.S_ISLNK(os.lstat(name, dir_fd=dir_fd).st_mode)
    except OSError:
        return False


def open_file(root, parts):
    """The regular file root/parts... opened for reading (binary), refused if anything on the way is a link,
    if it is a FIFO, device or socket, or if it has another name (a hard link to a file elsewhere)."""
    dir_fd = open_dir(root, parts[:-1])
    try:
        fd = _step(parts[-1], FILE_FLAGS, dir_fd)
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(SPECIAL, parts[-1])
        if info.st_nlink > 1:
            raise Refused("hardlink", parts[-1])
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def lexists(name, dir_fd):
    try:
        os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    return True


def _free_names(name, dir_fd, also=()):
    path = Path(name)
    for n in count():
        candidate = name if n == 0 else f"{path.stem}-{n}{path.suffix}"
        if not lexists(candidate, dir_fd) and not any(lexists(candidate + s, dir_fd) for s in also):
            yield candidate


def move(name, src_fd, dst_fd, new_name=None, also=()):
    """Move the entry `name` (a link moves as the link, its target untouched) into the folder `dst_fd`
    under a free name (free also with each suffix in `also`); never overwrites. Returns the name used."""
    for target in _free_names(new_name or name, dst_fd, also):
        try:
            os.link(name, target, src_dir_fd=src_fd, dst_dir_fd=dst_fd, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if lexists(target, dst_fd):  # no hard links here: rename, after checking the name is free
                continue
            os.rename(name, target, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
        else:
            os.unlink(name, dir_fd=src_fd)
        return target


def own_folder(name, dir_fd):
    """fd of the real folder `name` inside `dir_fd`, made if missing; Refused if something else is there."""
    try:
        os.mkdir(name, dir_fd=dir_fd)
    except FileExistsError:
        pass
    return _step(name, DIR_FLAGS, dir_fd)


def write_new(name, dir_fd, text):
    """Write a new text file (never through a link, never over an existing file)."""
    fd = os.open(name, NEW_FILE_FLAGS, 0o644, dir_fd=dir_fd)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
