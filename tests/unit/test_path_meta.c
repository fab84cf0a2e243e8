/* path_meta: the host facts a reflector reports, read from a fixture root. */
#include "cmocka_all.h"

#include "lib/fsutil.h"
#include "reflector/path_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(fsutil_mkdirs_for(path, 0700, NULL), 0);
	assert_int_equal(fsutil_write_atomic(path, text, strlen(text), 0600, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/pp-pathmeta-XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void reads_load_memory_and_interface_mtus(void **state)
{
	(void)state;
	put("/proc/loadavg", "0.50 0.25 0.10 1/123 4567\n");
	put("/proc/meminfo", "MemTotal:       2048000 kB\nMemFree:  100 kB\nMemAvailable:   1024000 kB\n");
	put("/sys/class/net/eth0/mtu", "9000\n");
	put("/sys/class/net/lo/mtu", "65536\n");
	json_t *m = path_meta_collect(root);
	assert_non_null(m);
	assert_true(json_real_value(json_object_get(json_object_get(m, "load"), "1m")) == 0.5);
	json_t *mem = json_object_get(m, "memory");
	assert_int_equal(json_integer_value(json_object_get(mem, "total_bytes")), 2048000LL * 1024);
	assert_int_equal(json_integer_value(json_object_get(mem, "available_bytes")), 1024000LL * 1024);
	json_t *ifs = json_object_get(m, "interfaces");
	assert_int_equal(json_array_size(ifs), 2);
	int found = 0;
	size_t i;
	json_t *e;
	json_array_foreach(ifs, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), "eth0") == 0)
			found = json_integer_value(json_object_get(e, "mtu")) == 9000;
	assert_true(found);
	assert_true(json_integer_value(json_object_get(json_object_get(m, "cpu"), "count")) >= 1);
	assert_non_null(json_string_value(json_object_get(m, "version")));
	assert_non_null(json_string_value(json_object_get(json_object_get(m, "clock_sync"), "state")));
	json_decref(m);
}

static void missing_files_give_nulls_not_errors(void **state)
{
	(void)state;
	json_t *m = path_meta_collect(root); /* an empty root */
	assert_non_null(m);
	assert_true(json_is_null(json_object_get(m, "load")));
	assert_true(json_is_null(json_object_get(m, "memory")));
	assert_int_equal(json_array_size(json_object_get(m, "interfaces")), 0);
	json_decref(m);
}

static void garbage_files_do_not_crash(void **state)
{
	(void)state;
	put("/proc/loadavg", "not numbers at all");
	put("/proc/meminfo", "MemTotal: lots\n\x01\x02");
	put("/sys/class/net/x/mtu", "-");
	json_t *m = path_meta_collect(root);
	assert_non_null(m);
	assert_true(json_is_null(json_object_get(m, "load")));
	assert_int_equal(json_array_size(json_object_get(m, "interfaces")), 0);
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_load_memory_and_interface_mtus, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_files_give_nulls_not_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_files_do_not_crash, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
