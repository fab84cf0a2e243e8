/*
 * protocol_fields: internal to the protocol module. Bounded getters for the
 * fields of an untrusted JSON object, each naming the field on failure
 * ("payload.params.streams: expected an integer, got string"), and the
 * message table's row type.
 */
#ifndef PP_CORE_PROTOCOL_FIELDS_H
#define PP_CORE_PROTOCOL_FIELDS_H

#include "core/protocol.h"

enum pf_need {
	PF_REQUIRED, /* present and not null */
	PF_NULLABLE, /* absent or null allowed: reported as "not there" */
};

/* Getter results: 0 ok (possibly "not there" for PF_NULLABLE), PF_BAD_TYPE
 * (missing or wrong JSON type), PF_BAD_RANGE (right type, value refused). */
#define PF_BAD_TYPE (-1)
#define PF_BAD_RANGE (-2)

/* A string of 1..max_bytes bytes (printable ASCII only if ascii). */
int pf_string(const json_t *obj, const char *where, const char *key, enum pf_need need,
              size_t max_bytes, bool ascii, const char **out, char *err);

/* An integer (not a real) in min..max; *has false when null/absent. */
int pf_int(const json_t *obj, const char *where, const char *key, enum pf_need need,
           int64_t min, int64_t max, bool *has, int64_t *out, char *err);

int pf_bool(const json_t *obj, const char *where, const char *key, enum pf_need need,
            bool *has, bool *out, char *err);

/* An object (borrowed); *out NULL when null/absent. */
int pf_object(const json_t *obj, const char *where, const char *key, enum pf_need need,
              const json_t **out, char *err);

/* An array of at most max_items strings of 1..max_bytes printable ASCII. */
int pf_string_array(const json_t *obj, const char *where, const char *key,
                    enum pf_need need, size_t max_items, size_t max_bytes,
                    const char **items, size_t *n_items, char *err);

/* JSON type name for messages: "string", "integer", "null"... */
const char *pf_type_name(const json_t *v);

/* One row of the message table (protocol_msgs.c). */
struct pp_msg_def {
	const char *name;
	enum pp_msg_type type;
	enum pp_dir from;
	/* Checks the payload's fields (payload is an object) and fills out->u;
	 * may set out->bad_params. Returns 0 or a PF_BAD_* value with err. */
	int (*validate)(const json_t *payload, struct pp_msg *out, char *err);
};

const struct pp_msg_def *pp_msg_def_by_name(const char *name);
const struct pp_msg_def *pp_msg_def_by_type(enum pp_msg_type type);

#endif
