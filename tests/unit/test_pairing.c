/* pairing: token shape and storage (hash only, 0600), redeem answers
 * (ok / invalid / expired / already used), single use across restarts and
 * processes, the pairing window, retention of spent hashes, TTL parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "reflector/pairing.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 ((int64_t)1795323600 * 1000) /* 2026-11-22T05:00:00Z */
#define DAY_MS ((int64_t)86400 * 1000)

static char tmpdir[256];
static char file[400];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-pairing-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/pairing.json", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int fresh(void **state)
{
	(void)state;
	unlink(file);
	return 0;
}

static char *read_file(void)
{
	char err[ERRBUF_LEN];
	char *text = fsutil_read_all(file, 1 << 20, NULL, err);
	assert_non_null(text);
	return text;
}

static void token_is_a_uuid_v4_stored_only_as_a_hash(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN], other[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(tmpdir, err);
	assert_non_null(s);
	int64_t expires = 0;
	assert_int_equal(pairing_create(s, 600, T0, token, &expires, err), 0);
	assert_int_equal(expires, T0 + 600000);
	regex_t re;
	assert_int_equal(regcomp(&re,
	                         "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
	                         REG_EXTENDED | REG_NOSUB),
	                 0);
	assert_int_equal(regexec(&re, token, 0, NULL, 0), 0);
	regfree(&re);
	assert_int_equal(pairing_create(s, 600, T0, other, NULL, err), 0);
	assert_string_not_equal(token, other);

	char *text = read_file();
	assert_null(strstr(text, token)); /* never the token itself */
	uint8_t md[32];
	unsigned int len;
	EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_non_null(strstr(text, hex));
	assert_non_null(strstr(text, "\"expires_at\": \"2026-11-22T05:10:00.000Z\""));
	free(text);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	pairing_free(s);
}

static void redeem_answers_precisely(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(tmpdir, err);
	assert_int_equal(pairing_create(s, 60, T0, token, NULL, err), 0);

	assert_int_equal(pairing_redeem(s, "550e8400-e29b-41d4-a716-446655440000", T0, err),
	                 PAIRING_INVALID);
	assert_int_equal(pairing_redeem(s, "not a token", T0, err), PAIRING_INVALID);
	assert_int_equal(pairing_redeem(s, "", T0, err), PAIRING_INVALID);
	assert_int_equal(pairing_redeem(s, NULL, T0, err), PAIRING_INVALID);
	char longer[64];
	snprintf(longer, sizeof(longer), "%sx", token);
	assert_int_equal(pairing_redeem(s, longer, T0, err), PAIRING_INVALID);

	assert_int_equal(pairing_redeem(s, token, T0 + 60000 - 1, err), PAIRING_OK);
	assert_int_equal(pairing_redeem(s, token, T0 + 60000 - 1, err), PAIRING_ALREADY_USED);
	assert_string_equal(pairing_result_name(PAIRING_ALREADY_USED), "already_used");

	char late[PAIRING_TOKEN_LEN];
	assert_int_equal(pairing_create(s, 60, T0, late, NULL, err), 0);
	assert_int_equal(pairing_redeem(s, late, T0 + 60000, err), PAIRING_EXPIRED);
	assert_string_equal(pairing_result_name(PAIRING_EXPIRED), "expired");
	pairing_free(s);
}

static void token_is_case_insensitive(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(NULL, err);
	assert_int_equal(pairing_create(s, 60, T0, token, NULL, err), 0);
	for (char *p = token; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_int_equal(pairing_redeem(s, token, T0, err), PAIRING_OK);
	pairing_free(s);
}

static void single_use_survives_a_restart(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(tmpdir, err);
	assert_int_equal(pairing_create(s, 600, T0, token, NULL, err), 0);
	pairing_free(s);
	s = pairing_open(tmpdir, err); /* restart: the token is still pending */
	assert_true(pairing_window_open(s, T0 + 1));
	assert_int_equal(pairing_redeem(s, token, T0 + 1, err), PAIRING_OK);
	pairing_free(s);
	s = pairing_open(tmpdir, err); /* and its use is remembered */
	assert_int_equal(pairing_redeem(s, token, T0 + 2, err), PAIRING_ALREADY_USED);
	assert_false(pairing_window_open(s, T0 + 2));
	pairing_free(s);
}

static void server_sees_tokens_written_by_the_cli(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN], mine[PAIRING_TOKEN_LEN];
	struct pairing_store *server = pairing_open(tmpdir, err);
	assert_int_equal(pairing_create(server, 600, T0, mine, NULL, err), 0);
	struct pairing_store *cli = pairing_open(tmpdir, err);
	assert_int_equal(pairing_create(cli, 600, T0 + 5, token, NULL, err), 0);
	pairing_free(cli);
	/* The CLI's write kept the server's token (merge), and the server
	 * accepts the CLI's token without an explicit reload. */
	assert_int_equal(pairing_redeem(server, token, T0 + 10, err), PAIRING_OK);
	assert_int_equal(pairing_redeem(server, mine, T0 + 10, err), PAIRING_OK);

	/* A token written by another process opens the window here too. */
	char late[PAIRING_TOKEN_LEN];
	assert_false(pairing_window_open(server, T0 + 10));
	cli = pairing_open(tmpdir, err);
	assert_int_equal(pairing_create(cli, 600, T0 + 11, late, NULL, err), 0);
	pairing_free(cli);
	assert_true(pairing_window_open(server, T0 + 12));

	/* A second process with a stale view cannot redeem it again. */
	struct pairing_store *other = pairing_open(tmpdir, err);
	pairing_free(server);
	assert_int_equal(pairing_redeem(other, token, T0 + 20, err), PAIRING_ALREADY_USED);
	pairing_free(other);
}

static void window_opens_and_closes(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", a[PAIRING_TOKEN_LEN], b[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(NULL, err);
	assert_false(pairing_window_open(s, T0));
	assert_int_equal(pairing_window_closes_at_ms(s, T0), -1);
	pairing_create(s, 60, T0, a, NULL, err);
	pairing_create(s, 120, T0, b, NULL, err);
	assert_true(pairing_window_open(s, T0));
	assert_int_equal(pairing_window_closes_at_ms(s, T0), T0 + 120000);
	assert_int_equal(pairing_redeem(s, b, T0 + 1000, err), PAIRING_OK);
	assert_int_equal(pairing_window_closes_at_ms(s, T0 + 1000), T0 + 60000);
	assert_true(pairing_window_open(s, T0 + 59999));
	assert_false(pairing_window_open(s, T0 + 60000));
	pairing_free(s);
}

static void spent_hashes_are_kept_a_day(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", used[PAIRING_TOKEN_LEN], lapsed[PAIRING_TOKEN_LEN];
	char fresh_token[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(tmpdir, err);
	pairing_create(s, 60, T0, used, NULL, err);
	pairing_create(s, 60, T0, lapsed, NULL, err);
	assert_int_equal(pairing_redeem(s, used, T0 + 1000, err), PAIRING_OK);
	/* Just under a day after being spent: still precise answers. */
	pairing_create(s, 60, T0 + 1000 + DAY_MS - 1, fresh_token, NULL, err);
	assert_int_equal(pairing_redeem(s, used, T0 + DAY_MS, err), PAIRING_ALREADY_USED);
	assert_int_equal(pairing_redeem(s, lapsed, T0 + DAY_MS, err), PAIRING_EXPIRED);
	/* Well after: forgotten on the next write, so just "invalid". */
	pairing_create(s, 60, T0 + 3 * DAY_MS, fresh_token, NULL, err);
	assert_int_equal(pairing_token_count(s), 1);
	assert_int_equal(pairing_redeem(s, used, T0 + 3 * DAY_MS, err), PAIRING_INVALID);
	assert_int_equal(pairing_redeem(s, lapsed, T0 + 3 * DAY_MS, err), PAIRING_INVALID);
	pairing_free(s);
}

static void corrupt_file_is_reported_and_kept(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN];
	static const char *const bad[] = {
		"{\"version\": 1, \"tokens\": [",
		"{\"version\": 2, \"tokens\": []}",
		"{\"version\": 1, \"tokens\": [{\"sha256\": \"00\", \"created_at\": "
		"\"2026-11-22T05:00:00Z\", \"expires_at\": \"2026-11-22T05:00:00Z\", \"used_at\": null}]}",
		"{\"version\": 1, \"tokens\": [{\"sha256\": "
		"\"0000000000000000000000000000000000000000000000000000000000000000\", \"created_at\": "
		"\"2026-11-22T05:00:00Z\", \"expires_at\": \"soon\", \"used_at\": null}]}",
		"{\"version\": 1, \"tokens\": [{\"sha256\": "
		"\"000000000000000000000000000000000000000000000000000000000000000G\", \"created_at\": "
		"\"2026-11-22T05:00:00Z\", \"expires_at\": \"2026-11-22T05:00:00Z\", \"used_at\": null}]}",
		"{\"version\": 1, \"tokens\": [{\"sha256\": "
		"\"0000000000000000000000000000000000000000000000000000000000000000\", \"created_at\": "
		"\"2026-11-22T05:00:00Z\", \"expires_at\": \"2026-11-22T05:00:00Z\"}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fsutil_write_atomic(file, bad[i], strlen(bad[i]), 0600, err), 0);
		err[0] = '\0';
		if (pairing_open(tmpdir, err) != NULL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err, "pairing.json"));
	}
	/* A store opened before the damage must not overwrite the file. */
	unlink(file);
	struct pairing_store *s = pairing_open(tmpdir, err);
	assert_int_equal(fsutil_write_atomic(file, bad[0], strlen(bad[0]), 0600, err), 0);
	assert_int_equal(pairing_create(s, 60, T0, token, NULL, err), -1);
	assert_string_equal(token, "");
	char *text = read_file();
	assert_string_equal(text, bad[0]);
	free(text);
	pairing_free(s);
}

static void create_refuses_out_of_range_ttls(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "", token[PAIRING_TOKEN_LEN];
	struct pairing_store *s = pairing_open(NULL, err);
	assert_int_equal(pairing_create(s, 0, T0, token, NULL, err), -1);
	assert_int_equal(pairing_create(s, PAIRING_TTL_MAX_SEC + 1, T0, token, NULL, err), -1);
	assert_int_equal(pairing_create(s, PAIRING_TTL_MAX_SEC, T0, token, NULL, err), 0);
	pairing_free(s);
}

static void parses_ttls(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint32_t sec;
	} good[] = {
		{"10m", 600}, {"600", 600}, {"90s", 90}, {"1h", 3600}, {"1h30m", 5400},
		{"1", 1}, {"7d", 604800}, {"1d2h3m4s", 93784}, {"0h1s", 1}, {"2m30s", 150},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char err[ERRBUF_LEN] = "";
		uint32_t sec = 0;
		if (pairing_parse_ttl(good[i].text, &sec, err) != 0)
			fail_msg("refused %s: %s", good[i].text, err);
		assert_int_equal(sec, good[i].sec);
	}
	static const char *const bad[] = {
		"", "0", "0s", "-5", "+5", "10x", "m", "1m1h", "1h1h", "1h 30m", " 10m", "10m ",
		"1h30", "10M", "8d", "604801", "99999999999999999999", "1.5h", "h1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[ERRBUF_LEN] = "";
		uint32_t sec = 0;
		if (pairing_parse_ttl(bad[i], &sec, err) == 0)
			fail_msg("accepted \"%s\" as %u s", bad[i], sec);
		assert_non_null(strstr(err, "TTL"));
	}
	char err[ERRBUF_LEN] = "";
	uint32_t sec;
	assert_int_equal(pairing_parse_ttl(NULL, &sec, err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(token_is_a_uuid_v4_stored_only_as_a_hash, fresh),
		cmocka_unit_test_setup(redeem_answers_precisely, fresh),
		cmocka_unit_test_setup(token_is_case_insensitive, fresh),
		cmocka_unit_test_setup(single_use_survives_a_restart, fresh),
		cmocka_unit_test_setup(server_sees_tokens_written_by_the_cli, fresh),
		cmocka_unit_test_setup(window_opens_and_closes, fresh),
		cmocka_unit_test_setup(spent_hashes_are_kept_a_day, fresh),
		cmocka_unit_test_setup(corrupt_file_is_reported_and_kept, fresh),
		cmocka_unit_test_setup(create_refuses_out_of_range_ttls, fresh),
		cmocka_unit_test_setup(parses_ttls, fresh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
