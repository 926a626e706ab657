"""Chinese first: every UI string has a zh_Hans translation; the .mo is current."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import zhenxing

MESSAGES = Path(zhenxing.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


# gettext keys an entry with a context as "context\x04msgid".
CONTEXT_SEP = "\x04"


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr (msgstr[0] for plurals) from a .po file; the header is skipped.

    An entry with a msgctxt is keyed "context\x04msgid", as in the compiled catalogue.
    """
    entries: dict[str, str] = {}
    field, values = None, {}

    def flush() -> None:
        if values.get("msgid"):
            key = values["msgid"]
            if "msgctxt" in values:
                key = values["msgctxt"] + CONTEXT_SEP + key
            entries[key] = values.get("msgstr", values.get("msgstr[0]", ""))

    context_opened = False  # a msgctxt line has begun the entry its msgid belongs to
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgctxt "):
            flush()
            values, context_opened = {}, True
        elif line.startswith("msgid "):
            if not context_opened:
                flush()
                values = {}
            context_opened = False
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
            field, _, rest = line.partition(" ")
            values[field] = ast.literal_eval(rest)
        elif line.startswith('"') and field:
            values[field] += ast.literal_eval(line)
    flush()
    return entries


def test_every_ui_string_is_translated_to_chinese():
    entries = po_entries(MESSAGES / "django.po")
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_po_file():
    entries = po_entries(MESSAGES / "django.po")
    with (MESSAGES / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)

    def translated(key: str) -> str:
        context, sep, msgid = key.partition(CONTEXT_SEP)
        return catalogue.pgettext(context, msgid) if sep else catalogue.gettext(key)

    stale = [key for key, msgstr in entries.items() if translated(key) != msgstr]
    assert stale == [], "run `make messages` to recompile django.mo"
