#!/bin/sh
# Set up exitwrap on this machine: the shells it studies, PostgreSQL for the accounting's
# tests on a server, a private Slurm's packages for the Slurm tests, and a virtual environment.
#
# As root with apt-get (a fresh Debian machine, CI), the missing shells are
# installed from Debian's packages; otherwise what is installed is used and
# what is missing is said, never faked. The project and its test tools go
# into .venv (PyPI). Safe to run again: it only does what is still missing.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="bash dash ksh mksh zsh yash posh busybox fish tcsh rc 9base wine wine64 gcc-mingw-w64-x86-64 tini hyperfine"
# the accounting's tests on a real server (scripts/postgres.sh) and on simulated hosts
PACKAGES="$PACKAGES postgresql iproute2"
# the HTML report's navigation is tested in a real headless browser
PACKAGES="$PACKAGES chromium"
# a private Slurm for the Slurm tests (scripts/slurm.sh starts its daemons by hand, never as
# services)
PACKAGES="$PACKAGES slurm-wlm slurmdbd munge mariadb-server slurm-client"

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $package"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing Debian packages:$missing" >&2
        apt-get update -qq
        # with recommends: Wine is only known to work here as Debian installs it by default
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        echo "bootstrap: not installing (needs root and apt-get); missing:$missing" >&2
    fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        fi
        "$python" -m venv .venv
    fi
fi
stamp=$(cat pyproject.toml scripts/bootstrap.sh | cksum)
if [ "$(cat .venv/.exitwrap-installed 2>/dev/null)" != "$stamp" ]; then
    log=.venv/install.log
    pip="$PWD/.venv/bin/python -m pip --disable-pip-version-check"
    # A current pip: older ones write console scripts that import re on every start.
    $pip install -q --upgrade pip >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    # harness/ is a src layout, so the editable install is a plain path entry (no import hook)
    $pip install -q -e '.[dev]' >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    echo "$stamp" > .venv/.exitwrap-installed
fi
# Byte-compile the package: where PYTHONDONTWRITEBYTECODE is set (many CI images), nothing
# else would, and every exitwrap and exitcodes start would compile what it imports again.
.venv/bin/python -m compileall -q harness/exitwrap >/dev/null
