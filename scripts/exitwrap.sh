#!/bin/sh
# exitwrap.sh: run the installed exitwrap with exactly these arguments; its status is ours.
#
# Use it where a POSIX sh is certain but exitwrap's location is not (CI images,
# Makefiles, containers): sh exitwrap.sh [OPTIONS] [--] COMMAND [ARGS...]
#
# exitwrap is looked for as: $EXITWRAP (its path), then `exitwrap` on PATH (a
# copy of this shim there is skipped), then the checkout's .venv beside this
# script. The shim then replaces itself with it (exec): every argument byte
# for byte, the signals and the exit status pass through unchanged. When no
# exitwrap is found: one line on stderr and status 127, as a shell says for a
# missing command. (One shell cannot hand over every byte: yash turns an argument
# that is not valid text in the locale into an empty string. Use another sh there.)

if [ -n "${ZSH_VERSION-}" ]; then
    emulate sh # run as `zsh exitwrap.sh`: split words as sh does
fi

if [ -n "${EXITWRAP-}" ]; then
    exec "$EXITWRAP" "$@"
fi

case $0 in
    */*) here=${0%/*} ;;
    *) here=. ;;
esac

set -f
saved_ifs=$IFS
IFS=:
for directory in ${PATH-}; do
    candidate=${directory:-.}/exitwrap
    if [ -f "$candidate" ] && [ -x "$candidate" ] && ! cmp -s "$candidate" "$0"; then
        IFS=$saved_ifs
        set +f
        exec "$candidate" "$@"
    fi
done
IFS=$saved_ifs
set +f

if [ -x "$here/../.venv/bin/exitwrap" ]; then
    exec "$here/../.venv/bin/exitwrap" "$@"
fi

echo "exitwrap.sh: exitwrap not found (set EXITWRAP to its path, or put it on PATH)" >&2
exit 127
