/*
 * config: the reflector's configuration, i.e. the one table of keys (section,
 * key, type, default, bounds, meaning; see config_keys.c), finding the file,
 * reading it with lib/toml, validating every value, and resolving the data
 * directory. docs/CONFIG.md and the README's reference are generated from
 * the same table (config_reference_markdown), and a test fails if they drift.
 *
 * File resolution: the -c path; else $REFLECTOR_CONFIG; else
 * /etc/reflector/reflector.toml if it exists; else
 * $XDG_CONFIG_HOME/reflector/reflector.toml (default ~/.config) if it exists;
 * else the built-in defaults. A path given explicitly (-c or the variable)
 * must exist. Keys missing from the file keep their defaults. An unknown
 * section or key is a warning; a wrong type or an out-of-range value is an
 * error naming "file:line: key 'section.key': ...".
 */
#ifndef PP_REFLECTOR_CONFIG_H
#define PP_REFLECTOR_CONFIG_H

#include "core/endpoint_id.h"
#include "lib/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_PATH_LEN 1024  /* paths, NUL included */
#define CONFIG_ADDR_LEN 272   /* "host:port" / "[v6]:port", NUL included */
#define CONFIG_NAME_LEN 64    /* alpn */
#define CONFIG_MAX_PEERS 1024 /* authorized_peers entries */

enum config_mode { CONFIG_MODE_TUNNELED, CONFIG_MODE_DIRECT_EPHEMERAL };

struct reflector_config {
	struct {
		char private_key_path[CONFIG_PATH_LEN]; /* resolved (see data_dir) */
	} identity;
	struct {
		char listen_address[CONFIG_ADDR_LEN];
		char alpn[CONFIG_NAME_LEN];
		enum config_mode mode;
		uint32_t data_port_range_start;
		uint32_t data_port_range_end;
		uint32_t max_connections;
		uint32_t max_handshakes_per_source;
		uint32_t handshake_timeout_sec;
		uint32_t frame_timeout_sec;
	} network;
	struct {
		bool pairing_enabled;
		/* Canonical endpoint IDs (each checked, duplicates dropped), owned
		 * (config_free); peers_open takes it as it is. */
		char **authorized_peers;
		size_t n_authorized_peers;
	} access;
	struct {
		uint32_t max_test_duration_sec;
		uint32_t max_concurrent_tests;
		uint32_t max_tests_per_hour_per_peer;
		uint64_t max_bytes_per_day_per_peer;
		uint32_t cooldown_sec;
		bool allow_udp_echo;
		bool allow_throughput;
		uint32_t max_packet_rate; /* packets/s per session, 0 = unlimited */
	} quotas;
	struct {
		char path[CONFIG_PATH_LEN];
		uint32_t default_streams;
		uint32_t max_streams;
		bool authenticate; /* direct mode: iperf3's RSA authentication */
	} iperf3;
	struct {
		enum log_level level;
		char audit_log_path[CONFIG_PATH_LEN]; /* resolved: never empty after load */
	} logging;
	struct {
		char listen_address[CONFIG_ADDR_LEN]; /* "" = no health listener */
	} health;

	/* Where the values came from: the file loaded, or "" for the defaults. */
	char source_path[CONFIG_PATH_LEN];
	/* The directory of identity.private_key_path (keys, peers, usage,
	 * control socket; see docs/ARCHITECTURE.md). Set by config_load. */
	char data_dir[CONFIG_PATH_LEN];
};

/* Called once per warning (unknown section or key), msg is one line. */
typedef void (*config_warn_fn)(void *ctx, const char *msg);

/* The built-in defaults, straight from the key table. Paths are not resolved
 * (audit_log_path stays "", data_dir ""). cfg owns nothing afterwards. */
void config_defaults(struct reflector_config *cfg);

/* Find, read and validate the configuration (see the top of this file),
 * then resolve the data directory: when private_key_path is not set in the
 * file and /var/lib/reflector is not writable, it falls back to
 * $XDG_STATE_HOME/reflector (default ~/.local/state/reflector); an empty
 * audit_log_path becomes <data_dir>/audit.jsonl. warn may be NULL.
 * Returns 0, or -1 with err filled and cfg holding nothing. */
int config_load(const char *cli_path, struct reflector_config *cfg, config_warn_fn warn,
                void *warn_ctx, char *err);

/* Frees what cfg owns (the peer list); cfg stays usable as empty. */
void config_free(struct reflector_config *cfg);

/* Split "host:port" or "[v6addr]:port" (port 0..65535). host gets the host
 * without brackets. Returns 0, or -1 with err saying what is wrong. */
int config_parse_host_port(const char *text, char *host, size_t host_len, uint16_t *port,
                           char *err);

/* The key table as a Markdown table (section, key, type, default, meaning):
 * malloc'd, NUL-terminated. NULL when out of memory. */
char *config_reference_markdown(void);

/* Tests: a directory prefixed to /etc/reflector and /var/lib/reflector when
 * probing them (so a test never touches the real ones). NULL resets. */
void config_set_system_root(const char *root);

#endif
