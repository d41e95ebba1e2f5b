"""The output languages: Chinese first, English on request."""

from __future__ import annotations

from ..errors import InputError

LANGS = ("zh", "en")


def check_lang(lang: str, option: str = "--lang") -> str:
    """``lang`` when it is zh or en, else an InputError naming ``option``.

    >>> check_lang("xx")
    Traceback (most recent call last):
    ...
    presales_analytics.errors.InputError: --lang 'xx' must be zh or en
    """
    if lang not in LANGS:
        raise InputError(f"{option} {lang!r} must be zh or en", value=lang)
    return lang


__all__ = ["LANGS", "check_lang"]
