/*
 * config: finding, reading, validating and documenting the reflector's
 * configuration, all driven by the key table in config_keys.c. Defaults are
 * applied by parsing each key's default TOML text through the same code as
 * a file's values, so the documented default is the real one.
 */
#include "reflector/config.h"

#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "lib/toml.h"
#include "reflector/config_keys.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_SYSTEM_FILE "/etc/reflector/reflector.toml"

static char system_root[CONFIG_PATH_LEN] = "";

void config_set_system_root(const char *root)
{
	snprintf(system_root, sizeof(system_root), "%s", root != NULL ? root : "");
}

static void *field(struct reflector_config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->offset;
}

/* What a key accepts, for "expected ..." messages. */
static const char *expected_text(const struct config_key *k, char *buf, size_t cap)
{
	switch (k->type) {
	case CK_STRING:
	case CK_PATH:
		return "a string";
	case CK_ADDR:
		return "a \"host:port\" string";
	case CK_ADDR_EMPTY:
		return "a \"host:port\" string or \"\"";
	case CK_U32:
	case CK_U64:
		return k->min == 0 ? "a non-negative integer" : "a positive integer";
	case CK_BOOL:
		return "true or false";
	case CK_ENUM: {
		size_t off = (size_t)snprintf(buf, cap, "one of");
		for (size_t i = 0; k->choices[i] != NULL && off < cap; i++)
			off += (size_t)snprintf(buf + off, cap - off, "%s \"%s\"", i ? "," : "",
			                        k->choices[i]);
		return buf;
	}
	case CK_PEERS:
		return "an array of endpoint IDs";
	}
	return "?";
}

/* -1 with "WHERE: key 'section.key': msg". */
static int key_error(char *err, const char *where, const struct config_key *k, const char *msg)
{
	return errbuf_set(err, "%s: key '%s.%s': %s", where, k->section, k->key, msg);
}

static int type_error(char *err, const char *where, const struct config_key *k,
                      const struct toml_value *v)
{
	char buf[128], msg[256];
	snprintf(msg, sizeof(msg), "expected %s, got %s", expected_text(k, buf, sizeof(buf)),
	         toml_kind_name(toml_kind(v)));
	return key_error(err, where, k, msg);
}

int config_parse_host_port(const char *text, char *host, size_t host_len, uint16_t *port, char *err)
{
	const char *colon, *h = text;
	size_t hlen;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return errbuf_set(err, "\"%s\": expected \"[IPv6]:port\"", text);
		h = text + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return errbuf_set(err, "\"%s\": expected \"host:port\"", text);
		hlen = (size_t)(colon - text);
		if (memchr(text, ':', hlen) != NULL)
			return errbuf_set(err,
			                  "\"%s\": an IPv6 address needs brackets, "
			                  "e.g. \"[::]:4000\"",
			                  text);
	}
	if (hlen == 0 || hlen >= host_len || hlen >= 256)
		return errbuf_set(err, "\"%s\": missing or too long host", text);
	char hbuf[256];
	memcpy(hbuf, h, hlen);
	hbuf[hlen] = '\0';
	if (text[0] == '[') {
		struct in6_addr a6;
		if (inet_pton(AF_INET6, hbuf, &a6) != 1)
			return errbuf_set(err, "\"%s\": '%s' is not an IPv6 address", text, hbuf);
	} else {
		for (size_t i = 0; i < hlen; i++) {
			char c = hbuf[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
				return errbuf_set(err, "\"%s\": invalid host '%s'", text, hbuf);
		}
	}
	const char *p = colon + 1;
	unsigned long val = 0;
	if (*p == '\0' || strlen(p) > 5)
		return errbuf_set(err, "\"%s\": missing or invalid port", text);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return errbuf_set(err, "\"%s\": invalid port", text);
		val = val * 10 + (unsigned long)(*p - '0');
	}
	if (val > 65535)
		return errbuf_set(err, "\"%s\": port %lu is above 65535", text, val);
	memcpy(host, hbuf, hlen + 1);
	*port = (uint16_t)val;
	return 0;
}

static void free_peers(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static int apply_peers(struct reflector_config *cfg, const struct config_key *k,
                       const struct toml_value *v, const char *where, char *err)
{
	if (toml_kind(v) != TOML_ARRAY)
		return type_error(err, where, k, v);
	size_t n = toml_count(v);
	if (n > CONFIG_MAX_PEERS) {
		char msg[96];
		snprintf(msg, sizeof(msg), "more than %d entries", CONFIG_MAX_PEERS);
		return key_error(err, where, k, msg);
	}
	char **ids = n ? calloc(n, sizeof(*ids)) : NULL;
	if (n && ids == NULL)
		return key_error(err, where, k, "out of memory");
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		const struct toml_value *item = toml_at(v, i);
		char msg[ERRBUF_LEN], e[ERRBUF_LEN], canonical[ENDPOINT_ID_LEN];
		size_t len;
		const char *text = toml_string(item, &len);
		if (toml_kind(item) != TOML_STRING || strlen(text) != len) {
			snprintf(msg, sizeof(msg),
			         "entry %zu: expected an endpoint ID string, got %s", i + 1,
			         toml_kind_name(toml_kind(item)));
			free_peers(ids, kept);
			return key_error(err, where, k, msg);
		}
		if (endpoint_id_parse(text, NULL, canonical, e) != 0) {
			snprintf(msg, sizeof(msg), "entry %zu: %.400s", i + 1, e);
			free_peers(ids, kept);
			return key_error(err, where, k, msg);
		}
		int dup = 0; /* the same peer twice is harmless: keep one */
		for (size_t j = 0; j < kept && !dup; j++)
			dup = strcmp(ids[j], canonical) == 0;
		if (dup)
			continue;
		ids[kept] = strdup(canonical);
		if (ids[kept] == NULL) {
			free_peers(ids, kept);
			return key_error(err, where, k, "out of memory");
		}
		kept++;
	}
	free_peers(cfg->access.authorized_peers, cfg->access.n_authorized_peers);
	cfg->access.authorized_peers = ids;
	cfg->access.n_authorized_peers = kept;
	return 0;
}

/* Check value v against key k and store it into cfg. */
static int apply(struct reflector_config *cfg, const struct config_key *k,
                 const struct toml_value *v, const char *where, char *err)
{
	char msg[ERRBUF_LEN];
	enum toml_kind kind = toml_kind(v);
	switch (k->type) {
	case CK_STRING:
	case CK_PATH:
	case CK_ADDR:
	case CK_ADDR_EMPTY: {
		if (kind != TOML_STRING)
			return type_error(err, where, k, v);
		size_t len;
		const char *s = toml_string(v, &len);
		if (strlen(s) != len)
			return key_error(err, where, k, "contains a NUL character");
		if (len >= k->size) {
			snprintf(msg, sizeof(msg), "longer than %zu bytes", k->size - 1);
			return key_error(err, where, k, msg);
		}
		/* Empty is allowed exactly where the default is empty (= "off"). */
		if (len == 0 && strcmp(k->default_toml, "\"\"") != 0)
			return key_error(err, where, k, "must not be empty");
		if (len > 0 && (k->type == CK_ADDR || k->type == CK_ADDR_EMPTY)) {
			char host[256], e[ERRBUF_LEN];
			uint16_t port;
			if (config_parse_host_port(s, host, sizeof(host), &port, e) != 0) {
				snprintf(msg, sizeof(msg), "%.450s", e);
				return key_error(err, where, k, msg);
			}
		}
		memcpy(field(cfg, k), s, len + 1);
		return 0;
	}
	case CK_U32:
	case CK_U64: {
		if (kind != TOML_INTEGER)
			return type_error(err, where, k, v);
		int64_t i = toml_int(v);
		if (i < 0 || (uint64_t)i < k->min || (uint64_t)i > k->max) {
			snprintf(msg, sizeof(msg), "%lld is out of range %llu..%llu", (long long)i,
			         (unsigned long long)k->min, (unsigned long long)k->max);
			return key_error(err, where, k, msg);
		}
		if (k->type == CK_U32) {
			uint32_t u = (uint32_t)i;
			memcpy(field(cfg, k), &u, sizeof(u));
		} else {
			uint64_t u = (uint64_t)i;
			memcpy(field(cfg, k), &u, sizeof(u));
		}
		return 0;
	}
	case CK_BOOL: {
		if (kind != TOML_BOOL)
			return type_error(err, where, k, v);
		bool b = toml_bool(v) != 0;
		memcpy(field(cfg, k), &b, sizeof(b));
		return 0;
	}
	case CK_ENUM: {
		if (kind != TOML_STRING)
			return type_error(err, where, k, v);
		const char *s = toml_string(v, NULL);
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(s, k->choices[i]) == 0) {
				memcpy(field(cfg, k), &i, sizeof(i));
				return 0;
			}
		}
		char buf[128];
		snprintf(msg, sizeof(msg), "expected %s, got \"%.100s\"",
		         expected_text(k, buf, sizeof(buf)), s);
		return key_error(err, where, k, msg);
	}
	case CK_PEERS:
		return apply_peers(cfg, k, v, where, err);
	}
	return key_error(err, where, k, "unknown key type");
}

void config_defaults(struct reflector_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < config_keys_count; i++) {
		const struct config_key *k = &config_keys[i];
		char doc[256], err[ERRBUF_LEN];
		snprintf(doc, sizeof(doc), "v = %s", k->default_toml);
		struct toml_value *root = toml_parse(doc, strlen(doc), err);
		if (root == NULL || apply(cfg, k, toml_get(root, "v"), "defaults", err) != 0) {
			/* A broken table is a programming error that the tests catch. */
			fprintf(stderr, "config_keys.c: default of %s.%s: %s\n", k->section, k->key,
			        err);
			abort();
		}
		toml_free(root);
	}
}

void config_free(struct reflector_config *cfg)
{
	free_peers(cfg->access.authorized_peers, cfg->access.n_authorized_peers);
	cfg->access.authorized_peers = NULL;
	cfg->access.n_authorized_peers = 0;
}

static const struct config_key *find_key(const char *section, const char *key, size_t key_len,
                                         size_t *index)
{
	for (size_t i = 0; i < config_keys_count; i++) {
		const struct config_key *k = &config_keys[i];
		if (strcmp(k->section, section) == 0 && strlen(k->key) == key_len &&
		    memcmp(k->key, key, key_len) == 0) {
			*index = i;
			return k;
		}
	}
	return NULL;
}

static int is_section(const char *name, size_t len)
{
	for (size_t i = 0; i < config_keys_count; i++)
		if (strlen(config_keys[i].section) == len &&
		    memcmp(config_keys[i].section, name, len) == 0)
			return 1;
	return 0;
}

static void warnf(config_warn_fn warn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warnf(config_warn_fn warn, void *ctx, const char *fmt, ...)
{
	if (warn == NULL)
		return;
	char msg[ERRBUF_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(ctx, msg);
}

/* Apply every key of a parsed file; key_lines[i] gets the line of key i. */
static int apply_document(struct reflector_config *cfg, const char *path,
                          const struct toml_value *root, int *key_lines, config_warn_fn warn,
                          void *ctx, char *err)
{
	for (size_t s = 0; s < toml_count(root); s++) {
		size_t slen;
		const char *sname = toml_key_at(root, s, &slen);
		const struct toml_value *sec = toml_at(root, s);
		if (!is_section(sname, slen) || strlen(sname) != slen) {
			if (toml_kind(sec) == TOML_TABLE)
				warnf(warn, ctx, "%s:%d: unknown section '%s'", path,
				      toml_line(sec), sname);
			else
				warnf(warn, ctx,
				      "%s:%d: unknown key '%s' (keys belong in a [section])", path,
				      toml_line(sec), sname);
			continue;
		}
		if (toml_kind(sec) != TOML_TABLE)
			return errbuf_set(err, "%s:%d: '%s' must be a table ([%s]), got %s", path,
			                  toml_line(sec), sname, sname,
			                  toml_kind_name(toml_kind(sec)));
		for (size_t i = 0; i < toml_count(sec); i++) {
			size_t klen, index;
			const char *kname = toml_key_at(sec, i, &klen);
			const struct toml_value *v = toml_at(sec, i);
			const struct config_key *k = find_key(sname, kname, klen, &index);
			if (k == NULL) {
				warnf(warn, ctx, "%s:%d: unknown key '%s.%s'", path, toml_line(v),
				      sname, kname);
				continue;
			}
			char where[CONFIG_PATH_LEN + 32];
			snprintf(where, sizeof(where), "%s:%d", path, toml_line(v));
			if (apply(cfg, k, v, where, err) != 0)
				return -1;
			key_lines[index] = toml_line(v);
		}
	}
	return 0;
}

static size_t key_index(const char *section, const char *key)
{
	size_t index = 0;
	if (find_key(section, key, strlen(key), &index) == NULL)
		abort(); /* the cross-checks below name keys of the table */
	return index;
}

/* Rules that tie two keys together: "low" must not exceed "high". */
static int check_order(const char *path, const int *key_lines, const char *section, const char *low,
                       uint32_t low_val, const char *high, uint32_t high_val, char *err)
{
	if (low_val <= high_val)
		return 0;
	int l1 = key_lines[key_index(section, low)], l2 = key_lines[key_index(section, high)];
	return errbuf_set(err, "%s:%d: key '%s.%s': %u is more than %s.%s (%u)", path,
	                  l1 > l2 ? l1 : l2, section, low, low_val, section, high, high_val);
}

/* $VAR when set and absolute (as the XDG spec says), else $HOME/fallback. */
static int xdg_dir(const char *var, const char *home_fallback, char *out, size_t cap)
{
	const char *v = getenv(var);
	int n;
	if (v != NULL && v[0] == '/') {
		n = snprintf(out, cap, "%s", v);
	} else {
		const char *home = getenv("HOME");
		if (home == NULL || home[0] == '\0')
			return -1;
		n = snprintf(out, cap, "%s/%s", home, home_fallback);
	}
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Which file to read: *path gets it, or "" for the built-in defaults. */
static int find_file(const char *cli_path, char *path, size_t cap, char *err)
{
	const char *explicit = cli_path;
	const char *what = "config file";
	if (explicit == NULL && getenv("REFLECTOR_CONFIG") != NULL &&
	    getenv("REFLECTOR_CONFIG")[0] != '\0') {
		explicit = getenv("REFLECTOR_CONFIG");
		what = "config file (from REFLECTOR_CONFIG)";
	}
	struct stat st;
	if (explicit != NULL) {
		if (stat(explicit, &st) != 0)
			return errbuf_errno(err, "%s %s", what, explicit);
		if ((size_t)snprintf(path, cap, "%s", explicit) >= cap)
			return errbuf_set(err, "%s %s: path too long", what, explicit);
		return 0;
	}
	char dir[CONFIG_PATH_LEN];
	if ((size_t)snprintf(path, cap, "%s%s", system_root, CONFIG_SYSTEM_FILE) < cap &&
	    stat(path, &st) == 0)
		return 0;
	if (xdg_dir("XDG_CONFIG_HOME", ".config", dir, sizeof(dir)) == 0 &&
	    (size_t)snprintf(path, cap, "%s/reflector/reflector.toml", dir) < cap &&
	    stat(path, &st) == 0)
		return 0;
	path[0] = '\0';
	return 0;
}

static int resolve_paths(struct reflector_config *cfg, int key_path_set, char *err)
{
	struct reflector_config *c = cfg;
	if (!key_path_set) {
		char dir[CONFIG_PATH_LEN], probe[2 * CONFIG_PATH_LEN];
		fsutil_dirname(c->identity.private_key_path, dir, sizeof(dir));
		int n = snprintf(probe, sizeof(probe), "%s%s", system_root, dir);
		if (n < 0 || (size_t)n >= sizeof(probe) || !fsutil_dir_writable(probe)) {
			char state[CONFIG_PATH_LEN];
			if (xdg_dir("XDG_STATE_HOME", ".local/state", state, sizeof(state)) != 0)
				return errbuf_set(
				    err,
				    "%s is not writable and neither XDG_STATE_HOME nor "
				    "HOME is set: set [identity] private_key_path",
				    dir);
			n = snprintf(c->identity.private_key_path,
			             sizeof(c->identity.private_key_path),
			             "%s/reflector/identity.ed25519", state);
			if (n < 0 || (size_t)n >= sizeof(c->identity.private_key_path))
				return errbuf_set(err, "%s: path too long", state);
		}
	}
	fsutil_dirname(c->identity.private_key_path, c->data_dir, sizeof(c->data_dir));
	if (c->logging.audit_log_path[0] == '\0') {
		int n = snprintf(c->logging.audit_log_path, sizeof(c->logging.audit_log_path),
		                 "%s/audit.jsonl", c->data_dir);
		if (n < 0 || (size_t)n >= sizeof(c->logging.audit_log_path))
			return errbuf_set(err, "%s: path too long", c->data_dir);
	}
	return 0;
}

int config_load(const char *cli_path, struct reflector_config *cfg, config_warn_fn warn,
                void *warn_ctx, char *err)
{
	char path[CONFIG_PATH_LEN];
	char *text = NULL;
	struct toml_value *root = NULL;
	int *key_lines = calloc(config_keys_count, sizeof(*key_lines));
	config_defaults(cfg);
	if (key_lines == NULL) {
		errbuf_set(err, "out of memory");
		goto fail;
	}
	if (find_file(cli_path, path, sizeof(path), err) != 0)
		goto fail;
	if (path[0] != '\0') {
		size_t len;
		char e[ERRBUF_LEN];
		text = fsutil_read_all(path, TOML_MAX_INPUT_BYTES, &len, err);
		if (text == NULL)
			goto fail;
		root = toml_parse(text, len, e);
		if (root == NULL) {
			errbuf_set(err, "%s:%s", path, e);
			goto fail;
		}
		if (apply_document(cfg, path, root, key_lines, warn, warn_ctx, err) != 0)
			goto fail;
	}
	const char *src = path[0] ? path : "(built-in defaults)";
	if (check_order(src, key_lines, "network", "data_port_range_start",
	                cfg->network.data_port_range_start, "data_port_range_end",
	                cfg->network.data_port_range_end, err) != 0 ||
	    check_order(src, key_lines, "iperf3", "default_streams", cfg->iperf3.default_streams,
	                "max_streams", cfg->iperf3.max_streams, err) != 0)
		goto fail;
	if (resolve_paths(cfg, key_lines[key_index("identity", "private_key_path")] != 0, err) != 0)
		goto fail;
	snprintf(cfg->source_path, sizeof(cfg->source_path), "%s", path);
	toml_free(root);
	free(text);
	free(key_lines);
	return 0;
fail:
	config_free(cfg);
	toml_free(root);
	free(text);
	free(key_lines);
	return -1;
}

static const char *type_doc(const struct config_key *k, char *buf, size_t cap)
{
	switch (k->type) {
	case CK_STRING:
		return "string";
	case CK_PATH:
		return "path";
	case CK_ADDR:
		return "host:port";
	case CK_ADDR_EMPTY:
		return "host:port or `\"\"`";
	case CK_BOOL:
		return "bool";
	case CK_PEERS:
		return "array of endpoint IDs";
	case CK_U32:
	case CK_U64:
		snprintf(buf, cap, "integer %llu..%llu", (unsigned long long)k->min,
		         (unsigned long long)k->max);
		return buf;
	case CK_ENUM: {
		size_t off = 0;
		buf[0] = '\0';
		for (size_t i = 0; k->choices[i] != NULL && off < cap; i++)
			off += (size_t)snprintf(buf + off, cap - off, "%s`\"%s\"`",
			                        i ? ", " : "one of ", k->choices[i]);
		return buf;
	}
	}
	return "?";
}

char *config_reference_markdown(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "Generated from the key table in `src/reflector/config_keys.c`; "
	           "`docs/CONFIG.md` explains which file is read, errors and the data "
	           "directory.\n\n");
	fprintf(f, "| section | key | type | default | meaning |\n");
	fprintf(f, "|---|---|---|---|---|\n");
	for (size_t i = 0; i < config_keys_count; i++) {
		const struct config_key *k = &config_keys[i];
		char buf[160];
		fprintf(f, "| `[%s]` | `%s` | %s | `%s` | %s |\n", k->section, k->key,
		        type_doc(k, buf, sizeof(buf)), k->default_toml, k->meaning);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
