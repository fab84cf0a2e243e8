/*
 * config_keys: THE table of the reflector's configuration keys. Adding a key
 * here gives it parsing, validation, a default and a line in docs/CONFIG.md
 * (regenerate with `bash tests/config_docs.sh --update`). A key is only worth
 * adding if some module reads its field (STYLE habit 10).
 */
#include "reflector/config_keys.h"

#include "reflector/config.h"

#include <stddef.h>

_Static_assert(sizeof(enum config_mode) == sizeof(int), "CK_ENUM fields are int-sized");
_Static_assert(sizeof(enum log_level) == sizeof(int), "CK_ENUM fields are int-sized");

/* In the order of enum config_mode and enum log_level. */
static const char *const mode_names[] = {"tunneled", "direct_ephemeral", NULL};
static const char *const level_names[] = {"error", "warn", "info", "debug", "trace", NULL};

/* The table reads best formatted by hand. */
/* clang-format off */
#define FIELD(f) offsetof(struct reflector_config, f), sizeof(((struct reflector_config *)0)->f)
#define U32(sec, k, def, lo, hi, f, doc) {sec, k, CK_U32, def, lo, hi, NULL, FIELD(f), doc}
#define BOOL(sec, k, def, f, doc) {sec, k, CK_BOOL, def, 0, 0, NULL, FIELD(f), doc}
#define STR(sec, k, type, def, f, doc) {sec, k, type, def, 0, 0, NULL, FIELD(f), doc}

const struct config_key config_keys[] = {
	STR("identity", "private_key_path", CK_PATH, "\"/var/lib/reflector/identity.ed25519\"",
	    identity.private_key_path,
	    "Ed25519 secret key (32 raw bytes, mode 0600), created on first run; its "
	    "directory is the data directory. When left at the default and /var/lib/reflector "
	    "is not writable: $XDG_STATE_HOME/reflector/identity.ed25519 "
	    "(~/.local/state/reflector/...)."),

	STR("network", "listen_address", CK_ADDR, "\"0.0.0.0:4000\"", network.listen_address,
	    "TCP address of the mTLS control listener, host:port (IPv6 as \"[::]:4000\")."),
	STR("network", "alpn", CK_STRING, "\"pp-link/1\"", network.alpn,
	    "ALPN protocol a client must offer; the handshake fails otherwise."),
	{"network", "mode", CK_ENUM, "\"tunneled\"", 0, 0, mode_names, FIELD(network.mode),
	 "How test traffic flows: \"tunneled\" over the control port, or "
	 "\"direct_ephemeral\" on ports of the data port range."},
	U32("network", "data_port_range_start", "5201", 1, 65535, network.data_port_range_start,
	    "First port for direct_ephemeral test engines (at most data_port_range_end)."),
	U32("network", "data_port_range_end", "5299", 1, 65535, network.data_port_range_end,
	    "Last port for direct_ephemeral test engines."),
	U32("network", "max_connections", "256", 1, 65536, network.max_connections,
	    "Connections open at once; more are refused at accept."),
	U32("network", "max_handshakes_per_source", "16", 1, 65536,
	    network.max_handshakes_per_source,
	    "Unauthenticated handshakes in progress per source address."),
	U32("network", "handshake_timeout_sec", "5", 1, 3600, network.handshake_timeout_sec,
	    "A TLS handshake not finished within this is dropped."),
	U32("network", "frame_timeout_sec", "30", 1, 86400, network.frame_timeout_sec,
	    "A started frame must complete within this; also the idle limit of a "
	    "connection that never speaks."),

	BOOL("access", "pairing_enabled", "true", access.pairing_enabled,
	     "Whether `reflector pair` tokens are accepted from unknown peers."),
	{"access", "authorized_peers", CK_PEERS, "[]", 0, CONFIG_MAX_PEERS, NULL,
	 FIELD(access.authorized_peers),
	 "Endpoint IDs (PP-...) always allowed, in addition to the peers enrolled by pairing."},

	U32("quotas", "max_test_duration_sec", "60", 1, 86400, quotas.max_test_duration_sec,
	    "Longest test; longer requests are clamped to it."),
	U32("quotas", "max_concurrent_tests", "1", 1, 1024, quotas.max_concurrent_tests,
	    "Tests running at once, all peers together (more: busy)."),
	U32("quotas", "max_tests_per_hour_per_peer", "10", 0, 4096,
	    quotas.max_tests_per_hour_per_peer,
	    "Tests a peer may start in any rolling hour (more: rate_limited)."),
	{"quotas", "max_bytes_per_day_per_peer", CK_U64, "10000000000", 0, INT64_MAX, NULL,
	 FIELD(quotas.max_bytes_per_day_per_peer),
	 "Bytes a peer's tests may move per UTC day (more: quota_exceeded)."},
	U32("quotas", "cooldown_sec", "5", 0, 86400, quotas.cooldown_sec,
	    "Pause a peer must leave between the start of two tests (else: rate_limited)."),
	BOOL("quotas", "allow_udp_echo", "true", quotas.allow_udp_echo,
	     "Whether UDP echo tests are offered."),
	BOOL("quotas", "allow_throughput", "true", quotas.allow_throughput,
	     "Whether iperf3 throughput tests are offered."),
	U32("quotas", "max_packet_rate", "10000", 0, 10000000, quotas.max_packet_rate,
	    "UDP echo packets per second per session; 0 = unlimited."),

	STR("iperf3", "path", CK_PATH, "\"iperf3\"", iperf3.path,
	    "The iperf3 program (looked up in PATH when it has no '/')."),
	U32("iperf3", "default_streams", "4", 1, 128, iperf3.default_streams,
	    "Parallel streams when a request does not say (at most max_streams)."),
	U32("iperf3", "max_streams", "8", 1, 128, iperf3.max_streams,
	    "Most parallel streams a request may ask for."),
	BOOL("iperf3", "authenticate", "false", iperf3.authenticate,
	     "direct_ephemeral only: iperf3 runs a test only for the granted peer (iperf3's RSA "
	     "authentication, credentials in the grant); a plain `iperf3 -c` is refused."),

	{"logging", "level", CK_ENUM, "\"info\"", 0, 0, level_names, FIELD(logging.level),
	 "Diagnostics on stderr: error, warn, info, debug or trace."},
	STR("logging", "audit_log_path", CK_PATH, "\"\"", logging.audit_log_path,
	    "JSON-lines audit log; \"\" means `<data dir>/audit.jsonl`."),

	STR("health", "listen_address", CK_ADDR_EMPTY, "\"\"", health.listen_address,
	    "host:port of the plain-HTTP /health and /metrics listener; \"\" = disabled."),
};

/* clang-format on */

const size_t config_keys_count = sizeof(config_keys) / sizeof(config_keys[0]);
