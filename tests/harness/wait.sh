# Waiting for a condition instead of sleeping a guessed time (a loaded CI
# machine makes any guess too short). Sourced by integration scripts.

# eventually SECONDS CMD...: runs CMD every 50 ms until it succeeds (0) or
# SECONDS have passed (1).
eventually() {
	local deadline=$((SECONDS + $1)); shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# listening PORT [NS]: a TCP socket listens on PORT (in network namespace NS).
listening() {
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" ss -Hltn "sport = :$1" | grep -q .
	else
		ss -Hltn "sport = :$1" | grep -q .
	fi
}

# wait_listening PORT [NS]: up to 10 s for listening PORT [NS].
wait_listening() {
	eventually 10 listening "$@"
}
