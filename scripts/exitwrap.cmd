@echo off
rem exitwrap.cmd: run exitwrap with this command line's arguments; exitwrap's status is ours.
rem
rem   exitwrap.cmd [OPTIONS] [--] COMMAND [ARGS...]
rem   from a batch file:  call exitwrap.cmd ...
rem   (without CALL the calling batch file stops here and never runs its next line)
rem
rem exitwrap.exe is looked for as: %EXITWRAP% (its path), then beside this file, then on PATH.
rem
rem What it carries. cmd has parsed the caller's line before this file runs, and parses the
rem arguments once more when it starts exitwrap.exe below; so:
rem   - an argument holding a space or any of  & | < > ^  must be in double quotes ("a&b");
rem     one the caller escaped instead (a^&b) would be special again here;
rem   - %NAME% is expanded by the caller's cmd before this file sees it (write %% in a batch
rem     file); ! passes as it is (delayed expansion is off here);
rem   - a line break cannot be passed through cmd at all.
rem It refuses to run when exitwrap.exe cannot be found (status 127, one line on stderr).
rem
rem The status: the whole 32-bit exit code of exitwrap.exe, through exit /b. The known traps:
rem   - %ERRORLEVEL% is read on a line of its own, never inside a parenthesised block (there it
rem     is expanded when the block is read, before the command in it has run);
rem   - a user variable named ERRORLEVEL hides the real status: it is cleared first;
rem   - exit /b, not exit: exit would close the caller's cmd as well.
setlocal DisableDelayedExpansion
set "ERRORLEVEL="
set "EXITWRAP_EXE=%EXITWRAP%"
if not defined EXITWRAP_EXE if exist "%~dp0exitwrap.exe" set "EXITWRAP_EXE=%~dp0exitwrap.exe"
if not defined EXITWRAP_EXE for %%I in (exitwrap.exe) do set "EXITWRAP_EXE=%%~$PATH:I"
if not defined EXITWRAP_EXE goto not_found
"%EXITWRAP_EXE%" %*
exit /b %ERRORLEVEL%

:not_found
>&2 echo exitwrap.cmd: exitwrap.exe not found (set EXITWRAP to its path, or put it on PATH)
exit /b 127
