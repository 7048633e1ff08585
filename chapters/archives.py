"""Unpack an uploaded course zip into a fresh folder, refusing anything that could escape it or swamp the disk.

Pure: the standard library only. Every member's name, kind and size is checked before anything is
written (a damaged member found while writing stops the unpacking; the caller discards the folder):

* names: no absolute path, drive letter, backslash, NUL or ``..`` part, none that resolves outside the
  folder, none twice, no file inside another file (zip slip);
* kinds: no symlinks, devices or pipes (a symlink member would point later members anywhere), no
  encrypted members;
* sizes: at most `Limits.max_files` members, `Limits.max_bytes` unpacked in all, and no member (over
  1 MiB) or archive inflating more than `Limits.max_ratio` times (zip bombs). Sizes are the zip's own
  claims; writing stops at the claimed size, so a member that lies about it is cut off and refused.

Archives inside the archive (zip, tar, gzip, …) are not unpacked: they are skipped and named, so a
nested bomb never inflates.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

__all__ = ["Limits", "UnsafeArchive", "unpack"]

_CHUNK = 1 << 16
_RATIO_FLOOR = 1 << 20  # smaller members may compress well (a page of spaces); they cannot make a bomb alone
_NESTED_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".whl", ".jar")
_NESTED_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!", b"(\xb5/\xfd")


class UnsafeArchive(ValueError):
    """The zip cannot be unpacked safely; the message says why, fit to show the person who uploaded it."""


@dataclass(frozen=True)
class Limits:
    max_files: int = 5000
    max_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 100


def unpack(archive: IO[bytes] | Path, folder: Path, limits: Limits = Limits()) -> list[str]:
    """Unpack `archive` into the empty `folder`; returns the members skipped as nested archives.

    Raises UnsafeArchive (nothing written) or zipfile.BadZipFile (not a zip, or a damaged one)."""
    root = folder.resolve()
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        _check_totals(members, limits)
        targets = [_target(root, member) for member in members]
        _check_layout(members, targets)
        skipped = []
        for member, target in zip(members, targets, strict=True):
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif _is_nested_archive(bundle, member):
                skipped.append(member.filename)
            else:
                _write(bundle, member, target, limits)
    return skipped


def _check_totals(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > limits.max_files:
        raise UnsafeArchive(f"The zip holds {len(members)} files; at most {limits.max_files} are imported.")
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_bytes:
        raise UnsafeArchive(f"The zip unpacks to {unpacked >> 20} MB; at most {limits.max_bytes >> 20} MB is imported.")
    packed = sum(m.compress_size for m in members)
    if unpacked > _RATIO_FLOOR and unpacked > limits.max_ratio * max(packed, 1):
        raise UnsafeArchive(f"The zip inflates {unpacked // max(packed, 1)} times; this looks like a zip bomb.")
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise UnsafeArchive(
                f"{member.filename} inflates {member.file_size // max(member.compress_size, 1)} times; this looks like a zip bomb."
            )
        if member.flag_bits & 0x1:
            raise UnsafeArchive(f"{member.filename} is encrypted; upload a zip without a password.")
        kind = stat.S_IFMT(member.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise UnsafeArchive(f"{member.filename} is a symbolic link; zip the files themselves.")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UnsafeArchive(f"{member.filename} is not a file or a folder.")


def _target(root: Path, member: zipfile.ZipInfo) -> Path:
    name = member.filename
    parts = PurePosixPath(name).parts
    unsafe = (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or ".." in parts
    )
    target = (root / name).resolve()
    if unsafe or not target.is_relative_to(root) or (target == root and not member.is_dir()):
        raise UnsafeArchive(f"The zip holds an unsafe path: {name!r}. Paths must stay inside the course folder.")
    return target


def _check_layout(members: list[zipfile.ZipInfo], targets: list[Path]) -> None:
    files = [target for member, target in zip(members, targets, strict=True) if not member.is_dir()]
    if len(set(files)) != len(files):
        twice = next(m.filename for m, t in zip(members, targets, strict=True) if files.count(t) > 1)
        raise UnsafeArchive(f"The zip holds {twice!r} twice.")
    taken = set(files)
    for member, target in zip(members, targets, strict=True):
        if any(parent in taken for parent in target.parents):
            raise UnsafeArchive(f"The zip holds {member.filename!r} inside a file of the same name.")


def _is_nested_archive(bundle: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    if member.filename.lower().endswith(_NESTED_SUFFIXES):
        return True
    with bundle.open(member) as source:
        head = source.read(8)
    return head.startswith(_NESTED_MAGIC)


def _write(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, limits: Limits) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with bundle.open(member) as source, target.open("xb") as out:  # "x": never through an existing path
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > member.file_size:  # zipfile stops at the claimed size; never trust one alone
                raise UnsafeArchive(f"{member.filename} is larger than the zip says; this looks like a zip bomb.")
            out.write(chunk)
