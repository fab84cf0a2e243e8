# Shell helpers for the UDP echo tests (sourced after lib.sh).
#
# echo_start_session NAME DURATION: a client NAME (make_client; must be in
# authorized_peers of the running reflector) holds a udp_echo session
# through $PP_BUILD_DIR/echo_grant; sets EPORT, ETOKEN (32 hex digits),
# ETEST_ID, EMODE and EGPID. echo_end_session ends it (EOF on its stdin).

echo_start_session() {
	local name=$1 duration=$2 line=""
	rm -f "$T/grant.fifo" "$T/grant.out"
	mkfifo "$T/grant.fifo"
	"$PP_BUILD_DIR/echo_grant" 127.0.0.1 "$PORT" "$T/clients/$name/pm/identity.ed25519" \
		"$duration" <"$T/grant.fifo" >"$T/grant.out" 2>&1 &
	EGPID=$!
	exec 7>"$T/grant.fifo" # held open: echo_grant keeps its session until EOF
	for _ in $(seq 1 500); do
		line=$(head -1 "$T/grant.out" 2>/dev/null)
		[ -n "$line" ] && break
		kill -0 "$EGPID" 2>/dev/null || break
		sleep 0.02
	done
	read -r EPORT ETOKEN ETEST_ID EMODE <<<"$line"
	[ -n "${EMODE:-}" ] || fail "no udp_echo grant: $(cat "$T/grant.out")"
}

echo_end_session() {
	exec 7>&-
	wait "$EGPID" 2>/dev/null
	EGPID=""
}

# The 20-byte tunnel prefix of the session, as printf escapes.
echo_prefix() {
	printf 'PPT1'
	printf "$(sed 's/../\\x&/g' <<<"$ETOKEN")"
}

# A number from `reflector status --json`'s counters.
echo_counter() {
	"$REFLECTOR_BIN" -c "$T/reflector.toml" --json status | jq -r ".counters.$1"
}
