#include "paramedic/state.h"

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PINS_FILE "reflectors.json"
#define PINS_MAX_BYTES (1024 * 1024)

static int default_data_dir(char *out, size_t outlen, char *err)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(out, outlen, "%s/paramedic", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(out, outlen, "%s/.local/state/paramedic", home);
	else
		return errbuf_set(err, "cannot choose a data directory: set HOME, XDG_STATE_HOME or --data-dir");
	return 0;
}

int pm_state_open(const char *data_dir_opt, struct pm_state *st, char *err)
{
	memset(st, 0, sizeof(*st));
	if (data_dir_opt != NULL)
		snprintf(st->data_dir, sizeof(st->data_dir), "%s", data_dir_opt);
	else if (default_data_dir(st->data_dir, sizeof(st->data_dir), err) != 0)
		return -1;
	if (fsutil_mkdirs(st->data_dir, 0700, err) != 0)
		return -1;
	char key[4200];
	snprintf(key, sizeof(key), "%s/identity.ed25519", st->data_dir);
	return identity_load_or_create(key, &st->id, NULL, err);
}

void pm_state_close(struct pm_state *st)
{
	identity_free(&st->id);
}

static json_t *load_pins(const struct pm_state *st, char *path, size_t pathlen, char *err)
{
	snprintf(path, pathlen, "%s/%s", st->data_dir, PINS_FILE);
	char *text = fsutil_read_all(path, PINS_MAX_BYTES, NULL, err);
	if (text == NULL)
		return errno == ENOENT ? json_pack("{s:[]}", "reflectors") : NULL;
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	free(text);
	if (!json_is_array(json_object_get(root, "reflectors"))) {
		json_decref(root);
		errbuf_set(err, "%s:%d: not a reflectors file (%s)", path, jerr.line, jerr.text);
		return NULL;
	}
	return root;
}

int pm_pin_lookup(const struct pm_state *st, const char *address, char *id_out, size_t id_len,
                  char *err)
{
	char path[4200];
	json_t *root = load_pins(st, path, sizeof(path), err);
	if (root == NULL)
		return -1;
	int rc = 1;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(root, "reflectors"), i, r) {
		const char *a = json_string_value(json_object_get(r, "address"));
		const char *id = json_string_value(json_object_get(r, "endpoint_id"));
		if (a != NULL && id != NULL && strcmp(a, address) == 0) {
			snprintf(id_out, id_len, "%s", id);
			rc = 0;
		}
	}
	json_decref(root);
	return rc;
}

int pm_pin_store(const struct pm_state *st, const char *address, const char *endpoint_id,
                 int64_t now_ms, char *err)
{
	char path[4200], when[PP_RFC3339_BUF_BYTES];
	json_t *root = load_pins(st, path, sizeof(path), err);
	if (root == NULL)
		return -1;
	json_t *list = json_object_get(root, "reflectors");
	for (size_t i = 0; i < json_array_size(list);) {
		const char *a = json_string_value(json_object_get(json_array_get(list, i), "address"));
		if (a != NULL && strcmp(a, address) == 0)
			json_array_remove(list, i);
		else
			i++;
	}
	protocol_format_rfc3339_ms(now_ms, when);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "address", address, "endpoint_id",
	                                      endpoint_id, "paired_at", when));
	char *text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (text == NULL)
		return errbuf_set(err, "out of memory");
	int rc = fsutil_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
