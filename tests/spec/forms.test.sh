## compare_shells: bash dash mksh zsh ash yash
## oils_failures_allowed: 0
## tags: dev-minimal
## legacy_tmp_dir: yes

# exitwrap's own fixture in the Oils spec-test format: every metadata form,
# and each of Oils' classes (pass, ok, N-I, BUG, FAIL, TIME) on the eight
# POSIX shells. tests/test_spec_file.py states the class each cell gets.

#### one-line stdout
echo hello   world
## stdout: hello world

#### metadata before the code, and a status
## status: 4
(exit 4)
exit $?

#### code given as metadata
## code: echo from-code
## stdout: from-code

#### blocks keep blank lines and drop comments
echo out
echo
echo err >&2
## STDOUT:
out

# a comment inside a block is dropped, as Oils drops it
## END
## STDERR:
err
## END

#### JSON strings for exact bytes
printf 'a\tb'
printf 'x\n' >&2
## stdout-json: "a\tb"
## stderr-json: "x\n"

#### one-line stderr, and an empty stdout value is one newline
echo
echo warn >&2
## stdout:
## stderr: warn

#### comment lines in code are dropped, even in a here-document
cat <<EOF
# dropped
kept
EOF
## stdout: kept

#### a block without END keeps the blank line before the next case
echo a
echo
## STDOUT:
a

#### pipefail is not implemented everywhere
set -o pipefail
false | true
echo $?
## stdout: 1
## N-I dash status: 2
## N-I posh status: 1
## N-I dash/posh stdout-json: ""

#### unquoted expansion is split into words
x='a b'
set -- $x
echo $#
## stdout: 2
## BUG zsh stdout: 1

#### echo -e is allowed to print the option
echo -e 'a\tb'
## stdout-json: "a\tb\n"
## OK dash/posh stdout-json: "-e a\tb\n"
## OK-2 yash stdout-json: "-e a\tb\n"

#### an unknown qualifier such as OK-5 gives pass
echo $((3 + 4))
## stdout: 7
## OK-5 zsh stdout: 7

#### ksh and ash are ksh93 and busybox
case $SH in
  ksh) echo ninety-three ;;
  ash) echo busy ;;
  *) echo other ;;
esac
## stdout: other
## BUG ksh stdout: ninety-three
## BUG-2 ash stdout: busy
## OK mksh stdout: never-checked-for-ksh93

#### $SH runs the shell under test, and a case without a status must exit 0
$SH -c 'echo nested'
case $SH in
  mksh) exit 5 ;;
esac
## STDOUT:
nested
## END

#### each case runs in a fresh $TMP
test "$(pwd -P)" = "$(cd "$TMP" && pwd -P)" && echo same
ls -A
touch made-here
## STDOUT:
same
_tmp
## END

#### the environment is the one Oils builds
echo "${TMPDIR-unset} $LC_ALL"
## stdout: unset C.UTF-8

#### a Python traceback on stderr fails any shell
case $SH in
  posh) echo 'Traceback (most recent call last):' >&2 ;;
esac
## status: 0

#### a shell that hangs is TIME
case $SH in
  yash) sleep 30 ;;
esac
echo done
## stdout: done
