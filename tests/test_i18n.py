"""Every message the server can say has a Chinese translation."""
import os
import subprocess
import sys

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_message_in_the_code_is_translated_to_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    os.path.join(ROOT, "babel.cfg"), "-k", "_l", "-o", str(pot), ROOT],
                   check=True, capture_output=True, cwd=ROOT)
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with open(os.path.join(ROOT, "app/translations/zh/LC_MESSAGES/messages.po"), "rb") as fh:
        catalogue = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(w for w in wanted if not catalogue.get(w))
    assert missing == []


def test_compiled_catalogue_is_up_to_date():
    po = os.path.join(ROOT, "app/translations/zh/LC_MESSAGES/messages.po")
    mo = os.path.join(ROOT, "app/translations/zh/LC_MESSAGES/messages.mo")
    assert _same(po, mo), "run: pybabel compile -d app/translations -D messages"


def _same(po, mo):
    from babel.messages.mofile import read_mo
    with open(po, "rb") as a, open(mo, "rb") as b:
        return {m.id: m.string for m in read_po(a) if m.id} == {
            m.id: m.string for m in read_mo(b) if m.id}
