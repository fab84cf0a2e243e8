/* config: defaults, files, every kind of error with its file:line, file
 * discovery and the data-directory fallback. HOME, XDG_* and the system
 * root (/etc, /var/lib) all point into a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/endpoint_id.h"
#include "lib/errbuf.h"
#include "reflector/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];
static char path_buf[512];

static const char *at_tmp(const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", tmp, rel);
	return path_buf;
}

static void write_file(const char *rel, const char *text)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"", tmp, rel);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(at_tmp(rel), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A fresh temp dir; HOME inside it; a writable system root by default. */
static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_config.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	setenv("HOME", at_tmp("home"), 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	unsetenv("REFLECTOR_CONFIG");
	mkdir(at_tmp("root"), 0700);
	config_set_system_root(at_tmp("root"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	config_set_system_root(NULL);
	return system(cmd) == 0 ? 0 : -1;
}

struct warnings {
	int n;
	char last[ERRBUF_LEN];
	char all[2048];
};

static void collect(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
	size_t off = strlen(w->all);
	snprintf(w->all + off, sizeof(w->all) - off, "%s\n", msg);
}

/* Loads rel (from tmp) expecting failure; returns the message. */
static const char *load_error(const char *rel, const char *text)
{
	static char err[ERRBUF_LEN];
	struct reflector_config cfg;
	write_file(rel, text);
	char path[512];
	snprintf(path, sizeof(path), "%s", at_tmp(rel));
	err[0] = '\0';
	assert_int_equal(config_load(path, &cfg, NULL, NULL, err), -1);
	assert_null(cfg.access.authorized_peers);
	/* Messages name the file; return the part after it for comparison. */
	assert_memory_equal(err, path, strlen(path));
	return err + strlen(path);
}

static void valid_id(uint8_t seed, char out[ENDPOINT_ID_LEN])
{
	uint8_t pub[32];
	memset(pub, seed, sizeof(pub));
	endpoint_id_from_pubkey(pub, out);
}

static void defaults_match_the_decided_values(void **state)
{
	(void)state;
	struct reflector_config cfg;
	config_defaults(&cfg);
	assert_string_equal(cfg.identity.private_key_path, "/var/lib/reflector/identity.ed25519");
	assert_string_equal(cfg.network.listen_address, "0.0.0.0:4000");
	assert_string_equal(cfg.network.alpn, "pp-link/1");
	assert_int_equal(cfg.network.mode, CONFIG_MODE_TUNNELED);
	assert_int_equal(cfg.network.data_port_range_start, 5201);
	assert_int_equal(cfg.network.data_port_range_end, 5299);
	assert_int_equal(cfg.network.max_connections, 256);
	assert_int_equal(cfg.network.max_handshakes_per_source, 16);
	assert_int_equal(cfg.network.handshake_timeout_sec, 5);
	assert_int_equal(cfg.network.frame_timeout_sec, 30);
	assert_true(cfg.access.pairing_enabled);
	assert_int_equal(cfg.access.n_authorized_peers, 0);
	assert_int_equal(cfg.quotas.max_test_duration_sec, 60);
	assert_int_equal(cfg.quotas.max_concurrent_tests, 1);
	assert_int_equal(cfg.quotas.max_tests_per_hour_per_peer, 10);
	assert_true(cfg.quotas.max_bytes_per_day_per_peer == 10000000000ULL);
	assert_int_equal(cfg.quotas.cooldown_sec, 5);
	assert_true(cfg.quotas.allow_udp_echo);
	assert_true(cfg.quotas.allow_throughput);
	assert_int_equal(cfg.quotas.max_packet_rate, 10000);
	assert_string_equal(cfg.iperf3.path, "iperf3");
	assert_int_equal(cfg.iperf3.default_streams, 4);
	assert_int_equal(cfg.iperf3.max_streams, 8);
	assert_int_equal(cfg.logging.level, LOG_INFO);
	assert_string_equal(cfg.logging.audit_log_path, "");
	assert_string_equal(cfg.health.listen_address, "");
	config_free(&cfg);
}

static void no_file_anywhere_means_defaults(void **state)
{
	(void)state;
	struct reflector_config cfg;
	char err[ERRBUF_LEN];
	assert_int_equal(config_load(NULL, &cfg, NULL, NULL, err), 0);
	assert_string_equal(cfg.source_path, "");
	assert_int_equal(cfg.quotas.cooldown_sec, 5);
	/* The system data dir is writable here (under the test's root). */
	assert_string_equal(cfg.identity.private_key_path, "/var/lib/reflector/identity.ed25519");
	assert_string_equal(cfg.data_dir, "/var/lib/reflector");
	assert_string_equal(cfg.logging.audit_log_path, "/var/lib/reflector/audit.jsonl");
	config_free(&cfg);

	/* -c /dev/null: an empty file, so defaults too. */
	assert_int_equal(config_load("/dev/null", &cfg, NULL, NULL, err), 0);
	assert_string_equal(cfg.source_path, "/dev/null");
	assert_int_equal(cfg.iperf3.max_streams, 8);
	config_free(&cfg);
}

static void partial_file_keeps_other_defaults(void **state)
{
	(void)state;
	write_file("partial.toml", "[network]\nlisten_address = \"127.0.0.1:4100\"\n");
	struct reflector_config cfg;
	char err[ERRBUF_LEN], path[512];
	snprintf(path, sizeof(path), "%s", at_tmp("partial.toml"));
	assert_int_equal(config_load(path, &cfg, NULL, NULL, err), 0);
	assert_string_equal(cfg.source_path, path);
	assert_string_equal(cfg.network.listen_address, "127.0.0.1:4100");
	assert_string_equal(cfg.network.alpn, "pp-link/1");
	assert_int_equal(cfg.quotas.max_test_duration_sec, 60);
	assert_int_equal(cfg.logging.level, LOG_INFO);
	config_free(&cfg);
}

static void full_file_applies_every_value(void **state)
{
	(void)state;
	char id1[ENDPOINT_ID_LEN], id2[ENDPOINT_ID_LEN], text[4096];
	valid_id(1, id1);
	valid_id(2, id2);
	char lower[ENDPOINT_ID_LEN]; /* typed in lower case: still the same ID */
	for (size_t i = 0; i <= strlen(id2); i++)
		lower[i] = (char)(id2[i] >= 'A' && id2[i] <= 'Z' ? id2[i] + 32 : id2[i]);
	lower[1] = 'P'; /* keep the PP- prefix as typed */
	lower[0] = 'P';
	snprintf(
	    text, sizeof(text),
	    "[identity]\nprivate_key_path = \"%s/keys/id.ed25519\"\n"
	    "[network]\nlisten_address = \"[::1]:4001\"\nalpn = \"pp-test/2\"\n"
	    "mode = \"direct_ephemeral\"\ndata_port_range_start = 15201\n"
	    "data_port_range_end = 15210\nmax_connections = 32\n"
	    "max_handshakes_per_source = 4\nhandshake_timeout_sec = 3\n"
	    "frame_timeout_sec = 10\n"
	    "[access]\npairing_enabled = false\nauthorized_peers = [\"%s\", \"%s\", \"%s\"]\n"
	    "[quotas]\nmax_test_duration_sec = 30\nmax_concurrent_tests = 2\n"
	    "max_tests_per_hour_per_peer = 3\nmax_bytes_per_day_per_peer = 1_000_000_000\n"
	    "cooldown_sec = 0\nallow_udp_echo = false\nallow_throughput = false\n"
	    "max_packet_rate = 1000\n"
	    "[iperf3]\npath = \"/usr/local/bin/iperf3\"\ndefault_streams = 2\nmax_streams = 4\n"
	    "[logging]\nlevel = \"debug\"\naudit_log_path = \"/tmp/x/audit.jsonl\"\n"
	    "[health]\nlisten_address = \"127.0.0.1:9100\"\n",
	    tmp, id1, lower, id2);
	write_file("full.toml", text);
	struct reflector_config cfg;
	struct warnings w = {0};
	char err[ERRBUF_LEN], path[512], key[600], dir[600];
	snprintf(path, sizeof(path), "%s", at_tmp("full.toml"));
	snprintf(key, sizeof(key), "%s/keys/id.ed25519", tmp);
	snprintf(dir, sizeof(dir), "%s/keys", tmp);
	assert_int_equal(config_load(path, &cfg, collect, &w, err), 0);
	assert_int_equal(w.n, 0);
	assert_string_equal(cfg.identity.private_key_path, key);
	assert_string_equal(cfg.data_dir, dir);
	assert_string_equal(cfg.network.listen_address, "[::1]:4001");
	assert_string_equal(cfg.network.alpn, "pp-test/2");
	assert_int_equal(cfg.network.mode, CONFIG_MODE_DIRECT_EPHEMERAL);
	assert_int_equal(cfg.network.data_port_range_start, 15201);
	assert_int_equal(cfg.network.data_port_range_end, 15210);
	assert_int_equal(cfg.network.max_connections, 32);
	assert_int_equal(cfg.network.max_handshakes_per_source, 4);
	assert_int_equal(cfg.network.handshake_timeout_sec, 3);
	assert_int_equal(cfg.network.frame_timeout_sec, 10);
	assert_false(cfg.access.pairing_enabled);
	assert_int_equal(cfg.access.n_authorized_peers, 2); /* id2 twice counts once */
	assert_string_equal(cfg.access.authorized_peers[0], id1);
	assert_string_equal(cfg.access.authorized_peers[1], id2);
	assert_int_equal(cfg.quotas.max_test_duration_sec, 30);
	assert_int_equal(cfg.quotas.max_concurrent_tests, 2);
	assert_int_equal(cfg.quotas.max_tests_per_hour_per_peer, 3);
	assert_true(cfg.quotas.max_bytes_per_day_per_peer == 1000000000ULL);
	assert_int_equal(cfg.quotas.cooldown_sec, 0);
	assert_false(cfg.quotas.allow_udp_echo);
	assert_false(cfg.quotas.allow_throughput);
	assert_int_equal(cfg.quotas.max_packet_rate, 1000);
	assert_string_equal(cfg.iperf3.path, "/usr/local/bin/iperf3");
	assert_int_equal(cfg.iperf3.default_streams, 2);
	assert_int_equal(cfg.iperf3.max_streams, 4);
	assert_int_equal(cfg.logging.level, LOG_DEBUG);
	assert_string_equal(cfg.logging.audit_log_path, "/tmp/x/audit.jsonl");
	assert_string_equal(cfg.health.listen_address, "127.0.0.1:9100");
	config_free(&cfg);
}

static void errors_name_file_line_and_key(void **state)
{
	(void)state;
	assert_string_equal(load_error("e1.toml", "[quotas]\nmax_concurrent_tests = 1\n"
	                                          "cooldown_sec = \"5\"\n"),
	                    ":3: key 'quotas.cooldown_sec': expected a non-negative integer, "
	                    "got string");
	assert_string_equal(
	    load_error("e2.toml", "[network]\ndata_port_range_end = 70000\n"),
	    ":2: key 'network.data_port_range_end': 70000 is out of range 1..65535");
	assert_string_equal(load_error("e3.toml", "[network]\nmax_connections = -1\n"),
	                    ":2: key 'network.max_connections': -1 is out of range 1..65536");
	assert_string_equal(load_error("e4.toml", "[access]\npairing_enabled = \"yes\"\n"),
	                    ":2: key 'access.pairing_enabled': expected true or false, got string");
	assert_string_equal(load_error("e5.toml", "[network]\nmode = \"direct\"\n"),
	                    ":2: key 'network.mode': expected one of \"tunneled\", "
	                    "\"direct_ephemeral\", got \"direct\"");
	assert_string_equal(
	    load_error("e6.toml", "[logging]\nlevel = 3\n"),
	    ":2: key 'logging.level': expected one of \"error\", \"warn\", \"info\", "
	    "\"debug\", \"trace\", got integer");
	assert_string_equal(load_error("e7.toml", "[network]\nlisten_address = \"4000\"\n"),
	                    ":2: key 'network.listen_address': \"4000\": expected \"host:port\"");
	assert_string_equal(load_error("e8.toml", "[network]\nlisten_address = \"::1:4000\"\n"),
	                    ":2: key 'network.listen_address': \"::1:4000\": an IPv6 address needs "
	                    "brackets, e.g. \"[::]:4000\"");
	assert_string_equal(load_error("e9.toml", "[network]\n\ndata_port_range_start = 6000\n"),
	                    ":3: key 'network.data_port_range_start': 6000 is more than "
	                    "network.data_port_range_end (5299)");
	assert_string_equal(
	    load_error("e10.toml", "[iperf3]\ndefault_streams = 9\n"),
	    ":2: key 'iperf3.default_streams': 9 is more than iperf3.max_streams (8)");
	assert_string_equal(load_error("e11.toml", "[quotas]\ncooldown_sec = \n"),
	                    ":2:16: expected a value");
	assert_string_equal(load_error("e12.toml", "network = 5\n"),
	                    ":1: 'network' must be a table ([network]), got integer");
	assert_string_equal(load_error("e13.toml", "[iperf3]\npath = \"\"\n"),
	                    ":2: key 'iperf3.path': must not be empty");
	assert_string_equal(load_error("e14.toml", "[access]\nauthorized_peers = \"PP-X\"\n"),
	                    ":2: key 'access.authorized_peers': expected an array of endpoint IDs, "
	                    "got string");
	assert_string_equal(load_error("e15.toml", "[access]\nauthorized_peers = [1]\n"),
	                    ":2: key 'access.authorized_peers': entry 1: expected an endpoint ID "
	                    "string, got integer");
}

static void mistyped_peer_id_is_an_error(void **state)
{
	(void)state;
	char id[ENDPOINT_ID_LEN], text[256];
	valid_id(7, id);
	size_t n = strlen(id);
	id[n - 1] = id[n - 1] == 'A' ? 'B' : 'A'; /* wrong check character */
	snprintf(text, sizeof(text), "[access]\nauthorized_peers = [\n  \"%s\",\n]\n", id);
	const char *msg = load_error("peer.toml", text);
	assert_non_null(strstr(msg, ":2: key 'access.authorized_peers': entry 1: "));
	assert_non_null(strstr(msg, "check character"));
	assert_non_null(
	    strstr(load_error("peer2.toml", "[access]\nauthorized_peers = [\"XX-1\"]\n"),
	           ":2: key 'access.authorized_peers': entry 1: "));
}

static void unknown_keys_and_sections_are_warnings(void **state)
{
	(void)state;
	write_file("unknown.toml", "stray = 1\n[quotas]\ncooldown_sec = 1\nfoo = 2\n"
	                           "[colour]\nred = true\n");
	struct reflector_config cfg;
	struct warnings w = {0};
	char err[ERRBUF_LEN], path[512], want[2048];
	snprintf(path, sizeof(path), "%s", at_tmp("unknown.toml"));
	assert_int_equal(config_load(path, &cfg, collect, &w, err), 0);
	assert_int_equal(cfg.quotas.cooldown_sec, 1);
	snprintf(want, sizeof(want),
	         "%s:1: unknown key 'stray' (keys belong in a [section])\n"
	         "%s:4: unknown key 'quotas.foo'\n"
	         "%s:5: unknown section 'colour'\n",
	         path, path, path);
	assert_string_equal(w.all, want);
	config_free(&cfg);
	/* Without a callback the warnings are simply dropped. */
	assert_int_equal(config_load(path, &cfg, NULL, NULL, err), 0);
	config_free(&cfg);
}

static void syntax_error_names_line_and_column(void **state)
{
	(void)state;
	assert_string_equal(load_error("syn.toml", "[quotas\n"),
	                    ":1:8: expected ']' to close the table header");
	assert_string_equal(
	    load_error("dup.toml", "[quotas]\ncooldown_sec = 1\ncooldown_sec = 2\n"),
	    ":3:1: duplicate key 'cooldown_sec'");
}

static void file_discovery_order(void **state)
{
	(void)state;
	struct reflector_config cfg;
	char err[ERRBUF_LEN], want[512];
	write_file("home/.config/reflector/reflector.toml", "[quotas]\ncooldown_sec = 11\n");
	assert_int_equal(config_load(NULL, &cfg, NULL, NULL, err), 0);
	assert_int_equal(cfg.quotas.cooldown_sec, 11);
	config_free(&cfg);

	setenv("XDG_CONFIG_HOME", at_tmp("xdg"), 1);
	write_file("xdg/reflector/reflector.toml", "[quotas]\ncooldown_sec = 12\n");
	assert_int_equal(config_load(NULL, &cfg, NULL, NULL, err), 0);
	assert_int_equal(cfg.quotas.cooldown_sec, 12);
	snprintf(want, sizeof(want), "%s", at_tmp("xdg/reflector/reflector.toml"));
	assert_string_equal(cfg.source_path, want);
	config_free(&cfg);

	write_file("root/etc/reflector/reflector.toml", "[quotas]\ncooldown_sec = 13\n");
	assert_int_equal(config_load(NULL, &cfg, NULL, NULL, err), 0);
	assert_int_equal(cfg.quotas.cooldown_sec, 13);
	config_free(&cfg);

	write_file("env.toml", "[quotas]\ncooldown_sec = 14\n");
	setenv("REFLECTOR_CONFIG", at_tmp("env.toml"), 1);
	assert_int_equal(config_load(NULL, &cfg, NULL, NULL, err), 0);
	assert_int_equal(cfg.quotas.cooldown_sec, 14);
	config_free(&cfg);

	write_file("cli.toml", "[quotas]\ncooldown_sec = 15\n");
	snprintf(want, sizeof(want), "%s", at_tmp("cli.toml"));
	assert_int_equal(config_load(want, &cfg, NULL, NULL, err), 0);
	assert_int_equal(cfg.quotas.cooldown_sec, 15);
	config_free(&cfg);
}

static void explicit_missing_file_is_an_error(void **state)
{
	(void)state;
	struct reflector_config cfg;
	char err[ERRBUF_LEN];
	assert_int_equal(config_load("/nonexistent/reflector.toml", &cfg, NULL, NULL, err), -1);
	assert_string_equal(err,
	                    "config file /nonexistent/reflector.toml: No such file or directory");
	setenv("REFLECTOR_CONFIG", "/nonexistent/env.toml", 1);
	assert_int_equal(config_load(NULL, &cfg, NULL, NULL, err), -1);
	assert_string_equal(err, "config file (from REFLECTOR_CONFIG) /nonexistent/env.toml: "
	                         "No such file or directory");
}

static void data_dir_falls_back_to_xdg_state(void **state)
{
	(void)state;
	struct reflector_config cfg;
	char err[ERRBUF_LEN], want[600];
	/* A root that is a regular file: /var/lib/reflector can never be made
	 * under it, not even by root. */
	write_file("rootfile", "");
	config_set_system_root(at_tmp("rootfile"));
	assert_int_equal(config_load("/dev/null", &cfg, NULL, NULL, err), 0);
	snprintf(want, sizeof(want), "%s/home/.local/state/reflector/identity.ed25519", tmp);
	assert_string_equal(cfg.identity.private_key_path, want);
	snprintf(want, sizeof(want), "%s/home/.local/state/reflector", tmp);
	assert_string_equal(cfg.data_dir, want);
	snprintf(want, sizeof(want), "%s/home/.local/state/reflector/audit.jsonl", tmp);
	assert_string_equal(cfg.logging.audit_log_path, want);
	config_free(&cfg);

	setenv("XDG_STATE_HOME", at_tmp("state"), 1);
	assert_int_equal(config_load("/dev/null", &cfg, NULL, NULL, err), 0);
	snprintf(want, sizeof(want), "%s/state/reflector", tmp);
	assert_string_equal(cfg.data_dir, want);
	config_free(&cfg);

	/* A relative XDG_STATE_HOME is ignored, as the XDG spec says. */
	setenv("XDG_STATE_HOME", "relative/state", 1);
	assert_int_equal(config_load("/dev/null", &cfg, NULL, NULL, err), 0);
	snprintf(want, sizeof(want), "%s/home/.local/state/reflector", tmp);
	assert_string_equal(cfg.data_dir, want);
	config_free(&cfg);

	/* A key path set in the file is used as it is. */
	write_file("key.toml", "[identity]\nprivate_key_path = \"/srv/refl/id.key\"\n"
	                       "[logging]\naudit_log_path = \"\"\n");
	snprintf(want, sizeof(want), "%s", at_tmp("key.toml"));
	assert_int_equal(config_load(want, &cfg, NULL, NULL, err), 0);
	assert_string_equal(cfg.identity.private_key_path, "/srv/refl/id.key");
	assert_string_equal(cfg.data_dir, "/srv/refl");
	assert_string_equal(cfg.logging.audit_log_path, "/srv/refl/audit.jsonl");
	config_free(&cfg);

	unsetenv("HOME");
	unsetenv("XDG_STATE_HOME");
	assert_int_equal(config_load("/dev/null", &cfg, NULL, NULL, err), -1);
	assert_string_equal(err, "/var/lib/reflector is not writable and neither XDG_STATE_HOME "
	                         "nor HOME is set: set [identity] private_key_path");
}

static void host_port_parsing(void **state)
{
	(void)state;
	char host[256], err[ERRBUF_LEN];
	uint16_t port;
	assert_int_equal(config_parse_host_port("0.0.0.0:4000", host, sizeof(host), &port, err), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 4000);
	assert_int_equal(config_parse_host_port("[::]:4000", host, sizeof(host), &port, err), 0);
	assert_string_equal(host, "::");
	assert_int_equal(config_parse_host_port("localhost:0", host, sizeof(host), &port, err), 0);
	assert_int_equal(port, 0);
	const char *bad[] = {"",          ":4000",    "host:", "host:65536",  "host:12a",
	                     "[::1]4000", "[nope]:1", "a b:1", "host:123456", "[::1:1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(config_parse_host_port(bad[i], host, sizeof(host), &port, err),
		                 -1);
		assert_true(err[0] != '\0');
	}
}

static void reference_lists_every_key_with_its_default(void **state)
{
	(void)state;
	char *md = config_reference_markdown();
	assert_non_null(md);
	assert_non_null(
	    strstr(md, "| `[network]` | `listen_address` | host:port | `\"0.0.0.0:4000\"` |"));
	assert_non_null(strstr(md, "| `[quotas]` | `max_bytes_per_day_per_peer` | integer "));
	assert_non_null(strstr(md, "`10000000000`"));
	assert_non_null(
	    strstr(md, "| `[access]` | `authorized_peers` | array of endpoint IDs | `[]` |"));
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(defaults_match_the_decided_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(no_file_anywhere_means_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(partial_file_keeps_other_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(full_file_applies_every_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(errors_name_file_line_and_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(mistyped_peer_id_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(unknown_keys_and_sections_are_warnings, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(syntax_error_names_line_and_column, setup, teardown),
	    cmocka_unit_test_setup_teardown(file_discovery_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(explicit_missing_file_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(data_dir_falls_back_to_xdg_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(host_port_parsing, setup, teardown),
	    cmocka_unit_test_setup_teardown(reference_lists_every_key_with_its_default, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
