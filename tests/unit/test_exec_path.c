/* exec_path: finding a program the way exec would. */
#include "cmocka_all.h"

#include "lib/exec_path.h"

#include <stdlib.h>
#include <unistd.h>

static void finds_programs_in_path_and_by_path(void **state)
{
	(void)state;
	assert_true(exec_path_found("sh"));
	assert_true(exec_path_found("/bin/sh"));
	assert_false(exec_path_found("no-such-program-pp"));
	assert_false(exec_path_found("/nonexistent/iperf3"));
	char plain[] = "/tmp/pp-exec-path-XXXXXX"; /* a file without the x bit */
	int fd = mkstemp(plain);
	assert_true(fd >= 0);
	close(fd);
	assert_false(exec_path_found(plain));
	unlink(plain);
	assert_false(exec_path_found(""));
}

static void honours_path(void **state)
{
	(void)state;
	char *old = getenv("PATH");
	setenv("PATH", "/nonexistent-dir", 1);
	assert_false(exec_path_found("sh"));
	setenv("PATH", "/nonexistent-dir:/bin", 1);
	assert_true(exec_path_found("sh"));
	if (old != NULL)
		setenv("PATH", old, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_programs_in_path_and_by_path),
		cmocka_unit_test(honours_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
