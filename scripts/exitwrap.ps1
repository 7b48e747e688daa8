# exitwrap.ps1: run exitwrap with these arguments; exitwrap's exit status is this script's.
#
#   pwsh -NoProfile -File exitwrap.ps1 [OPTIONS] [--] COMMAND [ARGS...]
#   & ./exitwrap.ps1 ...; $LASTEXITCODE            (from PowerShell)
#   pwsh -Command "& ./exitwrap.ps1 ...; exit $LASTEXITCODE"
#
# exitwrap is looked for as: $env:EXITWRAP (its path), then the first `exitwrap` program on
# PATH (not a script: a copy of this shim is never taken for it).
#
# What it carries: each argument as one string, unchanged, on PowerShell 7.3 and later
# ($PSNativeCommandArgumentPassing 'Standard', or 'Windows' for an .exe). Older versions
# (Windows PowerShell 5.1, pwsh 7.0-7.2) drop empty arguments and break arguments holding a
# double quote when they pass them to a program: this shim refuses those there (status 125,
# one line), as it refuses an argument that is not a single value (an array, a script block)
# and one holding a NUL. PowerShell itself removes a bare `--` before a script sees it: write
# `'--'` (quoted) when the command must see it.
#
# The known traps, handled: the program's status is $LASTEXITCODE, not $? (a boolean, and
# false after any stderr output in some versions); and under -Command PowerShell reports only
# 0 or 1 for a script unless the command line ends in `exit $LASTEXITCODE`, so this script
# ends with `exit $LASTEXITCODE` and callers using -Command must do the same.

$ErrorActionPreference = 'Stop'

function Refuse([string] $why, [int] $status) {
    [Console]::Error.WriteLine("exitwrap.ps1: $why")
    exit $status
}

$exitwrap = $env:EXITWRAP
if (-not $exitwrap) {
    $found = Get-Command -Name 'exitwrap' -CommandType Application -ErrorAction SilentlyContinue |
        Select-Object -First 1
    if ($found) { $exitwrap = $found.Source }
}
if (-not $exitwrap) {
    Refuse 'exitwrap not found (set EXITWRAP to its path, or put it on PATH)' 127
}

$legacy = $PSVersionTable.PSVersion -lt [version]'7.3' -or
    $PSNativeCommandArgumentPassing -eq 'Legacy'
$words = foreach ($arg in $args) {
    if ($null -eq $arg -or $arg -is [array] -or $arg -is [scriptblock]) {
        Refuse "an argument that is not a single value cannot be passed on: $arg" 125
    }
    $word = [string]$arg
    if ($word.Contains([char]0)) {
        Refuse 'an argument cannot hold a NUL character' 125
    }
    if ($legacy -and ($word -eq '' -or $word.Contains('"'))) {
        Refuse ("PowerShell $($PSVersionTable.PSVersion) cannot pass an empty argument or " +
            'one holding a double quote to a program unchanged (7.3 can)') 125
    }
    $word
}

& $exitwrap @words
exit $LASTEXITCODE
