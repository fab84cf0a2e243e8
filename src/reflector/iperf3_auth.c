/* iperf3_auth: RSA credentials for direct-mode iperf3 (see iperf3_auth.h). */
#include "reflector/iperf3_auth.h"

#include "lib/fsutil.h"

#include <dirent.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USERS_SUFFIX ".users"

struct iperf3_auth {
	char dir[4096];
	char key_path[4200];
	char *public_pem;
};

static bool plain_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* The PEM text of pk (private or public) in a malloc'd string. */
static char *pem_of(EVP_PKEY *pk, bool private_part)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL)
		return NULL;
	int ok = private_part ? PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL)
	                      : PEM_write_bio_PUBKEY(b, pk);
	char *data = NULL;
	long len = BIO_get_mem_data(b, &data);
	char *out = ok && len > 0 ? malloc((size_t)len + 1) : NULL;
	if (out != NULL) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(b);
	return out;
}

struct iperf3_auth *iperf3_auth_new(const char *data_dir, char *err)
{
	struct iperf3_auth *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	snprintf(a->dir, sizeof(a->dir), "%s/iperf3-auth", data_dir);
	snprintf(a->key_path, sizeof(a->key_path), "%s/rsa-private.pem", a->dir);
	if (fsutil_mkdirs(a->dir, 0700, err) != 0) {
		free(a);
		return NULL;
	}
	chmod(a->dir, 0700); /* when it was left behind by a crash */
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char *priv = pk != NULL ? pem_of(pk, true) : NULL;
	a->public_pem = pk != NULL ? pem_of(pk, false) : NULL;
	EVP_PKEY_free(pk);
	int rc = priv != NULL && a->public_pem != NULL
	             ? fsutil_write_atomic(a->key_path, priv, strlen(priv), 0600, err)
	             : errbuf_set(err, "cannot make an RSA key for iperf3");
	if (priv != NULL) {
		OPENSSL_cleanse(priv, strlen(priv));
		free(priv);
	}
	if (rc != 0) {
		free(a->public_pem);
		free(a);
		return NULL;
	}
	return a;
}

void iperf3_auth_free(struct iperf3_auth *a)
{
	if (a == NULL)
		return;
	unlink(a->key_path);
	DIR *d = opendir(a->dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name), k = strlen(USERS_SUFFIX);
			if (n > k && strcmp(e->d_name + n - k, USERS_SUFFIX) == 0)
				unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	rmdir(a->dir);
	free(a->public_pem);
	free(a);
}

const char *iperf3_auth_public_pem(const struct iperf3_auth *a)
{
	return a->public_pem;
}

const char *iperf3_auth_private_key_path(const struct iperf3_auth *a)
{
	return a->key_path;
}

void iperf3_auth_users_line(const char *user, const char *password, char *out, size_t out_len)
{
	char text[256];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	int n = snprintf(text, sizeof(text), "{%s}%s", user, password);
	bool ok = n > 0 && (size_t)n < sizeof(text) &&
	          EVP_Digest(text, (size_t)n, md, &md_len, EVP_sha256(), NULL) == 1;
	OPENSSL_cleanse(text, sizeof(text));
	char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
	for (unsigned i = 0; ok && i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, out_len, "%s,%s", user, hex);
}

static void users_path(const struct iperf3_auth *a, const char *user, char *out, size_t len)
{
	snprintf(out, len, "%s/%s" USERS_SUFFIX, a->dir, user);
}

int iperf3_auth_add_user(const struct iperf3_auth *a, const char *user, const char *password,
                         char *path_out, size_t path_len, char *err)
{
	if (!plain_name(user))
		return errbuf_set(err, "iperf3 user '%s' is not a plain name", user);
	char line[160];
	iperf3_auth_users_line(user, password, line, sizeof(line));
	size_t n = strlen(line);
	line[n++] = '\n';
	users_path(a, user, path_out, path_len);
	return fsutil_write_atomic(path_out, line, n, 0600, err);
}

void iperf3_auth_remove_user(const struct iperf3_auth *a, const char *user)
{
	char path[4200];
	if (!plain_name(user))
		return;
	users_path(a, user, path, sizeof(path));
	unlink(path);
}
