#!/usr/bin/env bash
# Weblate 5.14.3 in a virtual environment of its own (.venv-weblate): tests/test_weblate.py runs
# Weblate's machinery code in it against a live newsbridge. Its dependencies (Django, pycairo and
# PyGObject built against the system's cairo and GObject introspection) stay out of .venv.
# Fails loudly: CI must not skip the Weblate tests for want of this environment.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${WEBLATE_VENV:-.venv-weblate}
HARNESS=tests/weblate_harness
# headers and build tools for pycairo and PyGObject (no wheels); Weblate's own list, less borg's
packages=(build-essential pkg-config libcairo2-dev libgirepository1.0-dev gir1.2-pango-1.0 libffi-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
    if [[ $EUID -ne 0 ]]; then
        echo "weblate-venv: missing ${missing[*]} and not root to apt-get them" >&2
        exit 1
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --no-deps 'weblate==5.14.3' 'packaging>=25,<26'
"$VENV/bin/python" "$HARNESS/requirements.py" > "$VENV/weblate-requirements.txt"
"$VENV/bin/pip" install -q -r "$VENV/weblate-requirements.txt" -c "$HARNESS/constraints.txt"
# the machinery, its forms and Weblate's test stand-ins import, and Django starts on Weblate's test settings
"$VENV/bin/python" "$HARNESS/drive.py" --check
echo "weblate-venv: $("$VENV/bin/python" -c 'import weblate; print(weblate.__file__)') ready" >&2
