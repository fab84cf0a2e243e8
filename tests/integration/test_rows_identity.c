/* Seed 002 checklist rows 1-5: identity and startup, on a real reflector. */
#include "cmocka_all.h"
#include "rproc.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void row01_first_run_generates_identity_and_prints_id(void **state)
{
	(void)state;
	struct rproc r;
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	char key[400];
	snprintf(key, sizeof(key), "%s/identity.ed25519", r.data_dir);
	struct stat st;
	assert_int_not_equal(stat(key, &st), 0); /* no identity yet */
	assert_int_equal(rproc_start(&r), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);
	char log[8192];
	run_capture(log, sizeof(log), "cat %s", r.log_path);
	char expect[200];
	snprintf(expect, sizeof(expect), "Endpoint ID : %s", r.endpoint_id);
	assert_true(strncmp(r.endpoint_id, "PP-", 3) == 0);
	assert_non_null(strstr(log, expect));
	rproc_cleanup(&r);
}

static void row02_row03_identity_persists_across_restarts(void **state)
{
	(void)state;
	struct rproc r;
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	assert_int_equal(rproc_start(&r), 0);
	char first[80];
	snprintf(first, sizeof(first), "%s", r.endpoint_id);
	assert_int_equal(rproc_stop(&r), 0);
	assert_int_equal(rproc_start(&r), 0);
	assert_string_equal(r.endpoint_id, first);
	char out[256];
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "show-id"), 0);
	assert_non_null(strstr(out, first));
	rproc_cleanup(&r);
}

static void row04_rotate_identity_gives_a_new_id_and_is_audited(void **state)
{
	(void)state;
	struct rproc r;
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	char before[256], after[256], out[1024];
	assert_int_equal(rproc_cli(&r, before, sizeof(before), "show-id 2>/dev/null"), 0);
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "rotate-identity"), 0);
	assert_int_equal(rproc_cli(&r, after, sizeof(after), "show-id"), 0);
	assert_string_not_equal(before, after);
	assert_int_equal(rproc_audit_count(&r, "identity_rotated", NULL, NULL), 1);
	rproc_cleanup(&r);
}

static void row05_key_file_mode_is_0600_even_if_loosened(void **state)
{
	(void)state;
	struct rproc r;
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	char out[256], key[400];
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "show-id"), 0);
	snprintf(key, sizeof(key), "%s/identity.ed25519", r.data_dir);
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	chmod(key, 0644);
	assert_int_equal(rproc_start(&r), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	rproc_cleanup(&r);
}

static void key_file_of_the_wrong_size_is_a_clear_error(void **state)
{
	(void)state;
	struct rproc r;
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	char out[1024];
	assert_int_equal(run_capture(out, sizeof(out), "mkdir -p %s && echo short > %s/identity.ed25519",
	                             r.data_dir, r.data_dir), 0);
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "serve"), 1);
	assert_non_null(strstr(out, "identity.ed25519"));
	rproc_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row01_first_run_generates_identity_and_prints_id),
		cmocka_unit_test(row02_row03_identity_persists_across_restarts),
		cmocka_unit_test(row04_rotate_identity_gives_a_new_id_and_is_audited),
		cmocka_unit_test(row05_key_file_mode_is_0600_even_if_loosened),
		cmocka_unit_test(key_file_of_the_wrong_size_is_a_clear_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
