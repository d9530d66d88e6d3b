#!/usr/bin/env bash
# Runs a command that must fail cleanly: the expected exit code, exactly one line on stderr that
# matches the pattern, and no file left at OUTPUT (if given).
# Usage: expect_error.sh EXIT_CODE PATTERN OUTPUT_OR_- -- COMMAND...
set -u
expected_rc="$1"; pattern="$2"; output="$3"; shift 4
err=$(mktemp)
"$@" >/dev/null 2>"$err"
rc=$?
lines=$(wc -l <"$err")
status=0
if [[ "$rc" != "$expected_rc" ]]; then echo "exit code $rc, expected $expected_rc"; status=1; fi
if [[ "$lines" != 1 ]]; then echo "stderr has $lines lines, expected 1:"; status=1; fi
if ! grep -qE -- "$pattern" "$err"; then echo "stderr does not match /$pattern/"; status=1; fi
if [[ "$output" != "-" && -e "$output" ]]; then echo "output $output was left behind"; status=1; fi
cat "$err"
rm -f "$err"
exit $status
