#!/usr/bin/env bash
# Both programs' command lines: `PROGRAM COMMAND --help` prints that
# command's usage on stdout and exits 0 (without a config, a host or a
# network); an unknown option is refused with exit 2 and the same usage line
# on stderr, never taken for a host name. Every command listed by
# `PROGRAM --help` is tried. A bad `serve --bind` is a usage error too.
set -u
: "${PARAMEDIC_BIN:?}" "${REFLECTOR_BIN:?}"
T=$(mktemp -d /tmp/pp-cli-help.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# check PROGRAM_LABEL COMMAND PROGRAM... : runs the help and the bad option.
check() {
	local label=$1 cmd=$2; shift 2
	local out rc usage
	out=$("$@" "$cmd" --help 2>"$T/err"); rc=$?
	usage=$(head -1 <<<"$out")
	[ $rc -eq 0 ] || bad "$label $cmd --help: exit $rc ($(cat "$T/err"))"
	[[ $usage == "usage: $label $cmd"* ]] || bad "$label $cmd --help: first line '$usage'"
	[ -s "$T/err" ] && bad "$label $cmd --help wrote to stderr: $(cat "$T/err")"
	# capture's subcommands have their own --help, with their options.
	[ "$cmd" = capture ] && return
	out=$("$@" "$cmd" x --no-such-option 2>&1 >/dev/null); rc=$?
	[ $rc -eq 2 ] || bad "$label $cmd --no-such-option: exit $rc: $out"
	grep -qxF "$usage" <<<"$out" || bad "$label $cmd --no-such-option: usage line differs from --help: $out"
	grep -q "resolve" <<<"$out" && bad "$label $cmd: an option was taken for a host: $out"
}

pm_cmds=$("$PARAMEDIC_BIN" --help | awk '/^commands:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}')
[ "$(wc -w <<<"$pm_cmds")" -ge 7 ] || bad "paramedic --help lists too few commands: $pm_cmds"
for c in $pm_cmds; do check paramedic "$c" "$PARAMEDIC_BIN" --data-dir "$T/pm"; done
for sub in analyze compare; do
	out=$("$PARAMEDIC_BIN" capture $sub --help) || bad "capture $sub --help: exit $?"
	grep -q "^usage: paramedic capture $sub" <<<"$out" || bad "capture $sub --help: $out"
done

rf_cmds=$("$REFLECTOR_BIN" --help | awk '/^commands:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}')
[ "$(wc -w <<<"$rf_cmds")" -ge 6 ] || bad "reflector --help lists too few commands: $rf_cmds"
# --help must not need a configuration: the file named does not exist.
printf '[identity]\nprivate_key_path = "%s/rf/identity.ed25519"\n' "$T" >"$T/reflector.toml"
for c in $rf_cmds; do
	out=$("$REFLECTOR_BIN" -c "$T/missing.toml" "$c" --help) || bad "reflector $c --help needs a config"
	check reflector "$c" "$REFLECTOR_BIN" -c "$T/reflector.toml"
done

# A bad --bind is a usage error found before anything is made.
out=$("$REFLECTOR_BIN" -c "$T/reflector.toml" serve --bind nohost:1 2>&1); rc=$?
[ $rc -eq 2 ] || bad "serve --bind nohost:1: exit $rc: $out"
grep -q -- "--bind 'nohost:1': the host must be a numeric" <<<"$out" || bad "serve --bind message: $out"
[ -e "$T/rf/identity.ed25519" ] && bad "serve --bind nohost:1 created an identity first"

[ $fails -eq 0 ] || exit 1
echo "PASS: $(wc -w <<<"$pm_cmds") paramedic and $(wc -w <<<"$rf_cmds") reflector commands"
