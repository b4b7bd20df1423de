#!/usr/bin/env bash
# Runs every fuzz target of the module (found with `go test -list`, so new
# ones are picked up and build tags respected), one after the other, for
# FUZZTIME each (default 30s). Each target fuzzes from its seed corpus (the
# f.Add calls and testdata/fuzz/<target>/, read in place) into a temporary
# corpus directory (-test.fuzzcachedir) removed at the end: nothing is
# added to the tree or kept in GOCACHE, except that a crash writes its
# input to testdata/fuzz/<target>/ (commit it with the fix: plain go test
# then replays it). FUZZPARALLEL sets the workers per target (default: all
# cores); FUZZMINIMIZETIME the time spent minimizing each new input (Go's
# default 60s can eat a whole target's time on a loaded machine). Exits 1
# when a target failed, after running all of them.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# `go test -list` prints each package's matching names, then "ok <pkg> ...".
targets=$($GO test -run '^$' -list '^Fuzz' ./... | awk '
	/^Fuzz/ { names[++n] = $1; next }
	/^ok/ { for (i = 1; i <= n; i++) print $2, names[i]; n = 0 }')
count=$(printf '%s\n' "$targets" | grep -c . || true)
echo "fuzz: $count targets, $FUZZTIME each"
failed=()
while read -r pkg name; do
	[ -n "$name" ] || continue
	echo "== $name ($pkg)"
	if ! $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" ${FUZZPARALLEL:+-parallel "$FUZZPARALLEL"} \
		${FUZZMINIMIZETIME:+-fuzzminimizetime "$FUZZMINIMIZETIME"} \
		"$pkg" -args -test.fuzzcachedir="$tmp/$name"; then
		failed+=("$name ($pkg)")
	fi
done <<< "$targets"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: FAILED: ${failed[*]} (crashing inputs are in testdata/fuzz/)"
	exit 1
fi
echo "fuzz: all $count targets ran $FUZZTIME without a failure"
