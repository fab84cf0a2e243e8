/*
 * config_keys: the reflector's configuration keys as one declarative table
 * (STYLE habit 6). config.c reads, validates and documents from it; nothing
 * else should list keys or defaults. Private to src/reflector/config*.c.
 */
#ifndef PP_REFLECTOR_CONFIG_KEYS_H
#define PP_REFLECTOR_CONFIG_KEYS_H

#include <stddef.h>
#include <stdint.h>

enum config_type {
	CK_STRING,     /* char[] field */
	CK_PATH,       /* char[] field, a file path */
	CK_ADDR,       /* char[] field, host:port */
	CK_ADDR_EMPTY, /* char[] field, host:port or "" (= off) */
	CK_U32,        /* uint32_t field within [min, max] */
	CK_U64,        /* uint64_t field within [min, max] */
	CK_BOOL,       /* bool field */
	CK_ENUM,       /* enum field (int-sized), index into choices */
	CK_PEERS,      /* the access.authorized_peers list */
};

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	const char *default_toml;   /* the default, written as TOML */
	uint64_t min, max;          /* CK_U32 / CK_U64 */
	const char *const *choices; /* CK_ENUM: names in enum order, NULL-ended */
	size_t offset, size;        /* the field in struct reflector_config */
	const char *meaning;        /* one line for the docs */
};

extern const struct config_key config_keys[];
extern const size_t config_keys_count;

#endif
