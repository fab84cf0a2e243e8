#include "core/identity.h"

#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MODE 0600
#define KEY_DIR_MODE 0700

int identity_from_secret(const uint8_t secret[32], struct identity *out, char *err)
{
	memset(out, 0, sizeof(*out));
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret,
	                                             IDENTITY_SECRET_BYTES);
	if (key == NULL)
		return errbuf_set(err, "cannot build an Ed25519 key from the secret");
	size_t publen = sizeof(out->pub);
	if (EVP_PKEY_get_raw_public_key(key, out->pub, &publen) != 1 || publen != sizeof(out->pub)) {
		EVP_PKEY_free(key);
		return errbuf_set(err, "cannot derive the Ed25519 public key");
	}
	out->key = key;
	endpoint_id_from_pubkey(out->pub, out->id);
	return 0;
}

/* A fresh secret from OpenSSL's private DRBG, written atomically. */
static int create_key_file(const char *path, struct identity *out, char *err)
{
	uint8_t secret[IDENTITY_SECRET_BYTES];
	int rc = -1;
	if (RAND_priv_bytes(secret, sizeof(secret)) != 1) {
		errbuf_set(err, "%s: no randomness for a new key", path);
		goto done;
	}
	if (fsutil_mkdirs_for(path, KEY_DIR_MODE, err) != 0)
		goto done;
	if (fsutil_write_atomic(path, secret, sizeof(secret), KEY_FILE_MODE, err) != 0)
		goto done;
	rc = identity_from_secret(secret, out, err);
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/* Reads exactly 32 bytes from an open key file. 1 = loaded, -1 = error. */
static int read_key_file(int fd, const char *path, struct identity *out, char *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return errbuf_errno(err, "cannot stat key file %s", path);
	if (!S_ISREG(st.st_mode))
		return errbuf_set(err, "key file %s is not a regular file", path);
	if (st.st_size != IDENTITY_SECRET_BYTES)
		return errbuf_set(err,
		                  "key file %s is %lld bytes, expected exactly %d (a raw Ed25519 "
		                  "secret); refusing to use or overwrite it",
		                  path, (long long)st.st_size, IDENTITY_SECRET_BYTES);
	/* One more byte than needed, to notice a file that grew meanwhile. */
	uint8_t secret[IDENTITY_SECRET_BYTES + 1];
	size_t got = 0;
	int rc = -1;
	while (got < sizeof(secret)) {
		ssize_t n = read(fd, secret + got, sizeof(secret) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errbuf_errno(err, "cannot read key file %s", path);
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != IDENTITY_SECRET_BYTES) {
		errbuf_set(err, "key file %s: read %zu bytes, expected exactly %d", path, got,
		           IDENTITY_SECRET_BYTES);
		goto done;
	}
	if (identity_from_secret(secret, out, err) != 0)
		goto done;
	/* The secret is usable; now make sure only we can read it. */
	if ((st.st_mode & 077) != 0) {
		if (fchmod(fd, KEY_FILE_MODE) != 0) {
			errbuf_errno(err, "key file %s has mode %03o and cannot be made 0600", path,
			             (unsigned)(st.st_mode & 0777));
			identity_free(out);
			goto done;
		}
		out->tightened_from_mode = (unsigned)(st.st_mode & 0777);
	}
	rc = 0;
done:
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

int identity_load_or_create(const char *path, struct identity *out, int *created, char *err)
{
	if (created != NULL)
		*created = 0;
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (create_key_file(path, out, err) != 0)
			return -1;
		if (created != NULL)
			*created = 1;
		return 0;
	}
	if (fd < 0)
		return errbuf_errno(err, "cannot open key file %s", path);
	int rc = read_key_file(fd, path, out, err);
	close(fd);
	return rc;
}

int identity_rotate(const char *path, struct identity *out, char *err)
{
	struct identity fresh;
	if (create_key_file(path, &fresh, err) != 0)
		return -1;
	*out = fresh;
	return 0;
}

void identity_free(struct identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);
	memset(id, 0, sizeof(*id));
}
