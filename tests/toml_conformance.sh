#!/usr/bin/env bash
# Runs every case of the toml-test conformance suite ($PP_SHARED_DIR/toml-test)
# through tests/tools/toml_decode: valid/*.toml must decode to the tagged JSON
# of the matching .json (compared by toml_json_cmp), invalid/*.toml must be
# rejected with exit status 1 (a crash is not a rejection). Lists each failure.
set -uo pipefail
suite="${PP_SHARED_DIR:?}/toml-test"
decode="${PP_BUILD_DIR:?}/toml_decode"
cmp="${PP_BUILD_DIR}/toml_json_cmp"
[ -d "$suite" ] || { echo "no toml-test suite at $suite"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
while IFS= read -r -d '' t; do
	case_name=${t#"$suite"/}
	if "$decode" <"$t" >"$tmp/out.json" 2>"$tmp/err" &&
	   "$cmp" "$tmp/out.json" "${t%.toml}.json" 2>"$tmp/cmp"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $case_name: $(cat "$tmp/err" "$tmp/cmp" 2>/dev/null | head -c 300 | tr '\n' ' ')"
	fi
done < <(find "$suite/valid" -name '*.toml' -print0 | sort -z)

while IFS= read -r -d '' t; do
	case_name=${t#"$suite"/}
	"$decode" <"$t" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && [ -s "$tmp/err" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $case_name: accepted or crashed (exit $rc)"
	fi
done < <(find "$suite/invalid" -name '*.toml' -print0 | sort -z)

echo "toml-test: $pass passed, $fail failed"
[ $fail -eq 0 ]
