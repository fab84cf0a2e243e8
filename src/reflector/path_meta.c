#include "reflector/path_meta.h"

#include "core/protocol.h"
#include "version.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

static FILE *open_under(const char *root, const char *path)
{
	char full[1200];
	snprintf(full, sizeof(full), "%s%s", strcmp(root, "/") == 0 ? "" : root, path);
	return fopen(full, "r");
}

static json_t *read_load(const char *root)
{
	FILE *f = open_under(root, "/proc/loadavg");
	double l1, l5, l15;
	json_t *load = json_null();
	if (f != NULL && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		load = json_pack("{s:f, s:f, s:f}", "1m", l1, "5m", l5, "15m", l15);
	if (f != NULL)
		fclose(f);
	return load;
}

static json_t *read_memory(const char *root)
{
	FILE *f = open_under(root, "/proc/meminfo");
	if (f == NULL)
		return json_null();
	long long total_kb = -1, avail_kb = -1, v;
	char key[64];
	while (fscanf(f, "%63s %lld kB\n", key, &v) == 2) {
		if (strcmp(key, "MemTotal:") == 0)
			total_kb = v;
		else if (strcmp(key, "MemAvailable:") == 0)
			avail_kb = v;
	}
	fclose(f);
	if (total_kb < 0)
		return json_null();
	return json_pack("{s:I, s:I}", "total_bytes", (json_int_t)total_kb * 1024,
	                 "available_bytes", (json_int_t)(avail_kb < 0 ? 0 : avail_kb) * 1024);
}

static json_t *read_interfaces(const char *root)
{
	json_t *list = json_array();
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/sys/class/net", strcmp(root, "/") == 0 ? "" : root);
	DIR *d = opendir(dir);
	if (d == NULL)
		return list;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 64)
			continue;
		char path[300]; /* d_name is at most 255 bytes */
		snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", e->d_name);
		FILE *f = open_under(root, path);
		int mtu;
		if (f != NULL && fscanf(f, "%d", &mtu) == 1)
			json_array_append_new(list, json_pack("{s:s, s:i}", "name", e->d_name, "mtu", mtu));
		if (f != NULL)
			fclose(f);
	}
	closedir(d);
	return list;
}

static json_t *read_clock_sync(void)
{
	struct timex tx = {0};
	int state = adjtimex(&tx);
	if (state < 0)
		return json_pack("{s:s}", "state", "unknown");
	return json_pack("{s:s, s:I, s:I}", "state",
	                 state == TIME_ERROR ? "unsynchronised" : "synchronised",
	                 "max_error_us", (json_int_t)tx.maxerror, "est_error_us", (json_int_t)tx.esterror);
}

json_t *path_meta_collect(const char *root)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return json_pack("{s:{s:I}, s:o, s:o, s:o, s:o, s:s}",
	                 "cpu", "count", (json_int_t)cpus,
	                 "memory", read_memory(root),
	                 "load", read_load(root),
	                 "interfaces", read_interfaces(root),
	                 "clock_sync", read_clock_sync(),
	                 "version", PP_VERSION);
}

json_t *path_meta_message(const char *request_id)
{
	const char *root = getenv("PP_PROC_ROOT");
	json_t *fields = path_meta_collect(root != NULL && *root ? root : "/");
	json_t *msg = protocol_path_meta(request_id, fields);
	json_decref(fields);
	return msg;
}
