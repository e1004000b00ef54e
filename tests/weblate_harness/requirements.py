"""Print Weblate's own requirements (from its installed metadata), one per line, for pip -r.

Run with the Python of Weblate's virtual environment after ``pip install --no-deps weblate``.
Every requirement Weblate declares is kept, with its version range, except ``borgbackup``:
Weblate's backup feature, which the machinery never imports (weblate/utils/backup.py and
validators.py import it lazily), and which has no wheel — built from source it took over six
minutes on two cores, more than the rest of the environment together. The ``postgres`` extra
is added: weblate.settings_test (Weblate's test settings) needs a database backend module
(no connection is made).
"""

from __future__ import annotations

from importlib.metadata import requires

from packaging.requirements import Requirement

LEFT_OUT = {"borgbackup"}
EXTRAS = ("", "postgres")

for line in requires("weblate") or []:
    req = Requirement(line)
    if req.name.lower() in LEFT_OUT:
        continue
    if req.marker is None or any(req.marker.evaluate({"extra": extra}) for extra in EXTRAS):
        req.marker = None
        print(req)
