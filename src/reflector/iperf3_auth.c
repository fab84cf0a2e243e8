/* iperf3_auth: RSA credentials for direct-mode iperf3 (see iperf3_auth.h). */
#include "reflector/iperf3_auth.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* Writes text to path with mode 0600, replacing it. */
static int write_private(const char *path, const char *text, size_t len, char *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errbuf_errno(err, "%s", path);
	bool ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		unlink(path);
		return errbuf_set(err, "%s: could not be written", path);
	}
	return 0;
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
	if (mkdir(a->dir, 0700) != 0 && errno != EEXIST) {
		errbuf_errno(err, "%s", a->dir);
		free(a);
		return NULL;
	}
	chmod(a->dir, 0700);
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char *priv = pk != NULL ? pem_of(pk, true) : NULL;
	a->public_pem = pk != NULL ? pem_of(pk, false) : NULL;
	EVP_PKEY_free(pk);
	int rc = priv != NULL && a->public_pem != NULL
	             ? write_private(a->key_path, priv, strlen(priv), err)
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
	unsigned char md[32];
	unsigned md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(ctx, "{", 1) == 1 && EVP_DigestUpdate(ctx, user, strlen(user)) == 1 &&
	          EVP_DigestUpdate(ctx, "}", 1) == 1 &&
	          EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	          EVP_DigestFinal_ex(ctx, md, &md_len) == 1;
	EVP_MD_CTX_free(ctx);
	char hex[65] = "";
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
	return write_private(path_out, line, n, err);
}

void iperf3_auth_remove_user(const struct iperf3_auth *a, const char *user)
{
	char path[4200];
	if (!plain_name(user))
		return;
	users_path(a, user, path, sizeof(path));
	unlink(path);
}
