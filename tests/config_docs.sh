#!/usr/bin/env bash
# The config reference in docs/CONFIG.md and README.md (between the markers
# <!-- config-reference:begin --> and <!-- config-reference:end -->) must be
# exactly what the key table generates (tests/tools/config_reference), so the
# documented keys and defaults cannot drift from the code; and the docs' TOML
# example must load cleanly.
#   bash tests/config_docs.sh            check (the test)
#   bash tests/config_docs.sh --update   rewrite both regions (needs a build;
#                                        PP_BUILD_DIR defaults to build/dev)
set -uo pipefail
src="${PP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
gen="${PP_BUILD_DIR:-$src/build/dev}/config_reference"
begin='<!-- config-reference:begin -->'
end='<!-- config-reference:end -->'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gen" >"$tmp/want.md" || { echo "cannot run $gen"; exit 1; }

# The lines strictly between the markers of file $1.
region() {
	awk -v b="$begin" -v e="$end" '$0 == e {inside = 0} inside {print} $0 == b {inside = 1}' "$1"
}

status=0
for doc in docs/CONFIG.md README.md; do
	file="$src/$doc"
	if [ "${1:-}" = "--update" ]; then
		awk -v b="$begin" -v e="$end" -v gen="$tmp/want.md" '
			$0 == e {inside = 0}
			!inside {print}
			$0 == b {inside = 1; while ((getline line < gen) > 0) print line}
		' "$file" >"$tmp/new" && cat "$tmp/new" >"$file"
		echo "updated $doc"
		continue
	fi
	if [ "$(grep -cxF "$begin" "$file")" != 1 ] || [ "$(grep -cxF "$end" "$file")" != 1 ]; then
		echo "FAIL $doc: needs exactly one '$begin' and one '$end' line"
		status=1
		continue
	fi
	if ! region "$file" | diff -u "$tmp/want.md" - >"$tmp/diff"; then
		echo "FAIL $doc: config reference differs from the key table" \
		     "(run: bash tests/config_docs.sh --update)"
		cat "$tmp/diff"
		status=1
	fi
done
# The example in docs/CONFIG.md must load without an error or a warning.
awk '/^```toml$/ {inside = 1; next} /^```$/ {inside = 0} inside {print}' \
	"$src/docs/CONFIG.md" >"$tmp/example.toml"
if [ ! -s "$tmp/example.toml" ] || ! "$gen" "$tmp/example.toml"; then
	echo "FAIL docs/CONFIG.md: the \`\`\`toml example is missing or does not load cleanly"
	status=1
fi
[ $status -eq 0 ] && echo "config reference: docs/CONFIG.md and README.md match the key table"
exit $status
