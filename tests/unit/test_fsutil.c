/* fsutil: atomic writes, mkdir -p, bounded reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-fsutil-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void mkdirs_creates_nested_directories(void **state)
{
	(void)state;
	char path[400], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/a/b/c/file.txt", tmpdir);
	assert_int_equal(fsutil_mkdirs_for(path, 0700, err), 0);
	snprintf(path, sizeof(path), "%s/a/b/c", tmpdir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void mkdirs_refuses_a_file_in_the_way(void **state)
{
	(void)state;
	char path[400], err[ERRBUF_LEN] = "";
	snprintf(path, sizeof(path), "%s/plain", tmpdir);
	assert_int_equal(fsutil_write_atomic(path, "x", 1, 0600, err), 0);
	assert_int_equal(fsutil_mkdirs(path, 0700, err), -1);
	assert_non_null(strstr(err, "plain"));
}

static void write_atomic_replaces_content_and_sets_mode(void **state)
{
	(void)state;
	char path[400], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	assert_int_equal(fsutil_write_atomic(path, "first", 5, 0600, err), 0);
	assert_int_equal(fsutil_write_atomic(path, "second!", 7, 0600, err), 0);
	size_t len = 0;
	char *text = fsutil_read_all(path, 1024, &len, err);
	assert_non_null(text);
	assert_int_equal(len, 7);
	assert_string_equal(text, "second!");
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void read_all_enforces_its_limit(void **state)
{
	(void)state;
	char path[400], err[ERRBUF_LEN] = "";
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	char big[10000];
	memset(big, 'a', sizeof(big));
	assert_int_equal(fsutil_write_atomic(path, big, sizeof(big), 0600, err), 0);
	size_t len;
	assert_null(fsutil_read_all(path, 100, &len, err));
	assert_non_null(strstr(err, "larger than 100 bytes"));
	char *ok = fsutil_read_all(path, sizeof(big), &len, err);
	assert_non_null(ok);
	assert_int_equal(len, sizeof(big));
	free(ok);
}

static void read_all_names_a_missing_file(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	assert_null(fsutil_read_all("/nonexistent/pp/file", 100, NULL, err));
	assert_non_null(strstr(err, "/nonexistent/pp/file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mkdirs_creates_nested_directories),
		cmocka_unit_test(mkdirs_refuses_a_file_in_the_way),
		cmocka_unit_test(write_atomic_replaces_content_and_sets_mode),
		cmocka_unit_test(read_all_enforces_its_limit),
		cmocka_unit_test(read_all_names_a_missing_file),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
