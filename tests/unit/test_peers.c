/* peers: config ∪ enrolled, persistence across a restart, idempotent add,
 * distinct answers from remove, reloads, and bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/endpoint_id.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "reflector/peers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 ((int64_t)1795323600 * 1000) /* 2026-11-22T05:00:00Z */

static char tmpdir[256];
static char file[400];
static char id_a[ENDPOINT_ID_LEN], id_b[ENDPOINT_ID_LEN], id_c[ENDPOINT_ID_LEN];

static void make_id(uint8_t seed, char out[ENDPOINT_ID_LEN])
{
	uint8_t pub[32];
	memset(pub, seed, sizeof(pub));
	endpoint_id_from_pubkey(pub, out);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-peers-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/peers.json", tmpdir);
	make_id(1, id_a);
	make_id(2, id_b);
	make_id(3, id_c);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int fresh_dir(void **state)
{
	(void)state;
	unlink(file);
	return 0;
}

static void write_file(const char *text)
{
	char err[ERRBUF_LEN];
	assert_int_equal(fsutil_write_atomic(file, text, strlen(text), 0600, err), 0);
}

static void config_peers_are_authorized(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	char *cfg[] = {id_a};
	struct peer_store *s = peers_open(NULL, cfg, 1, err);
	assert_non_null(s);
	assert_true(peers_contains(s, id_a));
	assert_false(peers_contains(s, id_b));
	assert_false(peers_contains(s, "not an id"));
	/* Any accepted spelling of the same key matches. */
	char lower[ENDPOINT_ID_LEN];
	for (size_t i = 0; id_a[i]; i++)
		lower[i] = (char)tolower((unsigned char)id_a[i]);
	lower[strlen(id_a)] = '\0';
	assert_true(peers_contains(s, lower));
	peers_free(s);
}

static void bad_config_id_is_an_error_naming_it(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	char typo[ENDPOINT_ID_LEN];
	snprintf(typo, sizeof(typo), "%s", id_a);
	typo[5] = typo[5] == 'A' ? 'B' : 'A'; /* the check character catches it */
	char *cfg[] = {id_b, typo};
	assert_null(peers_open(NULL, cfg, 2, err));
	assert_non_null(strstr(err, "authorized_peers[1]"));
}

static void enrolled_peers_survive_a_restart(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	struct peer_store *s = peers_open(tmpdir, NULL, 0, err);
	assert_non_null(s); /* no file yet: empty */
	assert_int_equal(peers_count(s), 0);
	bool added = false;
	assert_int_equal(peers_add(s, id_b, T0 + 123, &added, err), 0);
	assert_true(added);
	assert_int_equal(peers_add(s, id_b, T0 + 999, &added, err), 0); /* idempotent */
	assert_false(added);
	peers_free(s);

	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *text = fsutil_read_all(file, 1 << 20, NULL, err);
	assert_non_null(strstr(text, "\"enrolled_at\": \"2026-11-22T05:00:00.123Z\""));
	free(text);

	s = peers_open(tmpdir, NULL, 0, err);
	assert_non_null(s);
	assert_true(peers_contains(s, id_b));
	struct peer_info p;
	assert_int_equal(peers_at(s, 0, &p), 0);
	assert_string_equal(p.id, id_b);
	assert_int_equal(p.source, PEER_SOURCE_PAIRED);
	assert_int_equal(p.enrolled_at_ms, T0 + 123);
	assert_int_equal(peers_at(s, 1, &p), -1);
	peers_free(s);
}

static void add_refuses_a_bad_id(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	struct peer_store *s = peers_open(tmpdir, NULL, 0, err);
	assert_int_equal(peers_add(s, "PP-NOPE", T0, NULL, err), -1);
	assert_non_null(strstr(err, "PP-NOPE"));
	assert_int_equal(peers_count(s), 0);
	peers_free(s);
}

static void failed_write_still_enrolls_in_memory(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	struct peer_store *s = peers_open(tmpdir, NULL, 0, err);
	assert_non_null(s);
	assert_int_equal(mkdir(file, 0700), 0); /* rename over it will fail */
	bool added = false;
	assert_int_equal(peers_add(s, id_c, T0, &added, err), -1);
	assert_true(added);
	assert_non_null(strstr(err, "peers.json"));
	assert_true(peers_contains(s, id_c));
	assert_int_equal(rmdir(file), 0);
	peers_free(s);
}

static void remove_answers_distinctly(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	char *cfg[] = {id_a};
	struct peer_store *s = peers_open(tmpdir, cfg, 1, err);
	assert_int_equal(peers_add(s, id_b, T0, NULL, err), 0);
	assert_int_equal(peers_remove(s, id_a, err), PEERS_IN_CONFIG);
	assert_non_null(strstr(err, "authorized_peers"));
	assert_true(peers_contains(s, id_a));
	assert_int_equal(peers_remove(s, id_c, err), PEERS_NOT_FOUND);
	assert_int_equal(peers_remove(s, "garbage", err), PEERS_REMOVE_FAILED);
	assert_int_equal(peers_remove(s, id_b, err), PEERS_REMOVED);
	assert_false(peers_contains(s, id_b));
	assert_int_equal(peers_remove(s, id_b, err), PEERS_NOT_FOUND);
	peers_free(s);
	/* The removal is on disk. */
	s = peers_open(tmpdir, NULL, 0, err);
	assert_false(peers_contains(s, id_b));
	peers_free(s);
}

static void list_shows_sources_without_duplicates(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	write_file("{\"peers\": []}");
	struct peer_store *s = peers_open(tmpdir, NULL, 0, err);
	assert_int_equal(peers_add(s, id_a, T0, NULL, err), 0);
	assert_int_equal(peers_add(s, id_b, T0 + 1, NULL, err), 0);
	char *cfg[] = {id_a, id_c};
	assert_int_equal(peers_set_config(s, cfg, 2, err), 0); /* SIGHUP */
	assert_int_equal(peers_count(s), 3);
	json_t *list = peers_list_json(s);
	assert_int_equal(json_array_size(list), 3);
	json_t *first = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(first, "id")), id_a);
	assert_string_equal(json_string_value(json_object_get(first, "source")), "config");
	assert_string_equal(json_string_value(json_object_get(first, "enrolled_at")),
	                    "2026-11-22T05:00:00.000Z");
	json_t *second = json_array_get(list, 1);
	assert_string_equal(json_string_value(json_object_get(second, "id")), id_c);
	assert_true(json_is_null(json_object_get(second, "enrolled_at")));
	json_t *third = json_array_get(list, 2);
	assert_string_equal(json_string_value(json_object_get(third, "source")), "paired");
	json_decref(list);

	/* A bad new config list leaves the old one in force. */
	char *bad[] = {"PP-1"};
	assert_int_equal(peers_set_config(s, bad, 1, err), -1);
	assert_true(peers_contains(s, id_c));
	assert_int_equal(peers_set_config(s, NULL, 0, err), 0);
	assert_false(peers_contains(s, id_c));
	assert_true(peers_contains(s, id_a)); /* still enrolled */
	peers_free(s);
}

static void reload_picks_up_the_file(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	struct peer_store *s = peers_open(tmpdir, NULL, 0, err);
	assert_false(peers_contains(s, id_c));
	char text[512];
	snprintf(text, sizeof(text),
	         "{\"peers\": [{\"id\": \"%s\", \"enrolled_at\": \"2026-11-22T05:00:00Z\"}]}", id_c);
	write_file(text);
	assert_int_equal(peers_reload(s, err), 0);
	assert_true(peers_contains(s, id_c));
	write_file("{\"peers\": [");
	assert_int_equal(peers_reload(s, err), -1);
	assert_non_null(strstr(err, file));
	assert_true(peers_contains(s, id_c)); /* kept */
	peers_free(s);
	assert_null(peers_open(tmpdir, NULL, 0, err)); /* corrupt at start: error */
	assert_non_null(strstr(err, "peers.json"));
}

static void parse_rejects_bad_input(void **state)
{
	(void)state;
	char good_entry[256];
	snprintf(good_entry, sizeof(good_entry), "{\"id\": \"%s\", \"enrolled_at\": ", id_a);
	const char *fixed[] = {
		"", "[]", "{}", "{\"peers\": {}}", "{\"peers\": [], \"x\": 1}", "{\"peers\": [1]}",
		"{\"peers\": [{\"id\": \"PP-AAAA\", \"enrolled_at\": \"2026-11-22T05:00:00Z\"}]}",
		"{\"peers\": [{\"enrolled_at\": \"2026-11-22T05:00:00Z\"}]}",
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char err[ERRBUF_LEN] = "";
		struct peer_info *out = NULL;
		size_t n = 0;
		if (peers_parse(fixed[i], strlen(fixed[i]), "peers.json", &out, &n, err) == 0)
			fail_msg("accepted %s", fixed[i]);
		assert_null(out);
		assert_non_null(strstr(err, "peers.json"));
	}
	const char *times[] = {"\"yesterday\"", "12", "\"2026-11-22T05:00:00+02:00\"",
	                       "\"2026-13-01T00:00:00Z\""};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char text[512], err[ERRBUF_LEN] = "";
		snprintf(text, sizeof(text), "{\"peers\": [%s%s}]}", good_entry, times[i]);
		struct peer_info *out = NULL;
		size_t n = 0;
		if (peers_parse(text, strlen(text), "peers.json", &out, &n, err) == 0)
			fail_msg("accepted %s", text);
	}
	char text[512], err[ERRBUF_LEN] = "";
	snprintf(text, sizeof(text), "{\"peers\": [%s\"2026-11-22T05:00:00Z\", \"extra\": 1}]}",
	         good_entry);
	struct peer_info *out = NULL;
	size_t n = 0;
	assert_int_equal(peers_parse(text, strlen(text), "peers.json", &out, &n, err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(config_peers_are_authorized, fresh_dir),
		cmocka_unit_test_setup(bad_config_id_is_an_error_naming_it, fresh_dir),
		cmocka_unit_test_setup(enrolled_peers_survive_a_restart, fresh_dir),
		cmocka_unit_test_setup(add_refuses_a_bad_id, fresh_dir),
		cmocka_unit_test_setup(failed_write_still_enrolls_in_memory, fresh_dir),
		cmocka_unit_test_setup(remove_answers_distinctly, fresh_dir),
		cmocka_unit_test_setup(list_shows_sources_without_duplicates, fresh_dir),
		cmocka_unit_test_setup(reload_picks_up_the_file, fresh_dir),
		cmocka_unit_test_setup(parse_rejects_bad_input, fresh_dir),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
