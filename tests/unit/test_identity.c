/* identity: key file creation, reload, rotation, refusal of bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/identity.h"
#include "lib/errbuf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-test-identity-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void first_use_creates_key_and_directories(void **state)
{
	(void)state;
	char path[512], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/a/b/identity.ed25519", tmpdir);
	struct identity id;
	int created = -1;
	assert_int_equal(identity_load_or_create(path, &id, &created, err), 0);
	assert_int_equal(created, 1);
	assert_non_null(id.key);
	assert_int_equal(strncmp(id.id, "PP-", 3), 0);
	assert_int_equal(strlen(id.id), 69);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/a/b", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* Second use: same key, same ID, nothing created. */
	struct identity again;
	assert_int_equal(identity_load_or_create(path, &again, &created, err), 0);
	assert_int_equal(created, 0);
	assert_string_equal(again.id, id.id);
	assert_memory_equal(again.pub, id.pub, 32);
	assert_int_equal(again.tightened_from_mode, 0);
	identity_free(&again);
	identity_free(&id);
	assert_null(id.key);
	identity_free(&id); /* twice is harmless */
}

static void known_secret_gives_known_id_and_signs(void **state)
{
	(void)state;
	/* RFC 8032 section 7.1 TEST 1. */
	static const uint8_t secret[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
		0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
		0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
	char path[512], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/rfc8032.key", tmpdir);
	write_file(path, secret, 32, 0600);
	struct identity id;
	assert_int_equal(identity_load_or_create(path, &id, NULL, err), 0);
	assert_string_equal(id.id,
	                    "PP-TXD9-G0C2-P45B-FNAB-ZV9W-JS07-787E-2WQK-VAK2-69DF-08D6-HXR7-A4D0-R");
	assert_int_equal(id.pub[0], 0xd7);
	assert_int_equal(id.pub[31], 0x1a);

	/* The loaded key signs the empty message as in the RFC (first bytes). */
	uint8_t sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, id.key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (const uint8_t *)"", 0), 1);
	EVP_MD_CTX_free(md);
	assert_int_equal(siglen, 64);
	assert_int_equal(sig[0], 0xe5);
	assert_int_equal(sig[1], 0x56);
	assert_int_equal(sig[63], 0x0b);
	identity_free(&id);
}

static void rotation_replaces_the_key(void **state)
{
	(void)state;
	char path[512], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/rot/identity.ed25519", tmpdir);
	struct identity before, after, reloaded;
	assert_int_equal(identity_load_or_create(path, &before, NULL, err), 0);
	uint8_t old_bytes[64], new_bytes[64];
	assert_int_equal(read_file(path, old_bytes, sizeof(old_bytes)), 32);

	assert_int_equal(identity_rotate(path, &after, err), 0);
	assert_string_not_equal(after.id, before.id);
	assert_int_equal(read_file(path, new_bytes, sizeof(new_bytes)), 32);
	assert_memory_not_equal(old_bytes, new_bytes, 32);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(identity_load_or_create(path, &reloaded, NULL, err), 0);
	assert_string_equal(reloaded.id, after.id);
	identity_free(&before);
	identity_free(&after);
	identity_free(&reloaded);

	/* Rotation also works where no key existed. */
	snprintf(path, sizeof(path), "%s/rot2/new/identity.ed25519", tmpdir);
	assert_int_equal(identity_rotate(path, &after, err), 0);
	assert_int_equal(stat(path, &st), 0);
	identity_free(&after);
}

static void refuses_a_file_of_the_wrong_size(void **state)
{
	(void)state;
	char path[512], err[ERRBUF_LEN];
	const size_t sizes[] = {0, 31, 33, 64, 119};
	uint8_t junk[128];
	memset(junk, 'k', sizeof(junk));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(path, sizeof(path), "%s/bad-%zu.key", tmpdir, sizes[i]);
		write_file(path, junk, sizes[i], 0600);
		struct identity id;
		int created = -1;
		err[0] = '\0';
		assert_int_equal(identity_load_or_create(path, &id, &created, err), -1);
		assert_int_equal(created, 0);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, "expected exactly 32"));
		/* untouched: never "repaired" by overwriting someone's file */
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal((size_t)st.st_size, sizes[i]);
	}
}

static void refuses_a_directory(void **state)
{
	(void)state;
	char path[512], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/dir.key", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	struct identity id;
	assert_int_equal(identity_load_or_create(path, &id, NULL, err), -1);
	assert_non_null(strstr(err, "not a regular file"));
	/* A parent that is a file cannot hold a new key. */
	char file[512];
	snprintf(file, sizeof(file), "%s/plainfile", tmpdir);
	write_file(file, "x", 1, 0600);
	snprintf(path, sizeof(path), "%s/plainfile/identity.ed25519", tmpdir);
	assert_int_equal(identity_load_or_create(path, &id, NULL, err), -1);
	assert_non_null(strstr(err, "plainfile"));
}

static void tightens_a_readable_key_file(void **state)
{
	(void)state;
	char path[512], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/loose.key", tmpdir);
	uint8_t secret[32];
	memset(secret, 0x42, sizeof(secret));
	write_file(path, secret, 32, 0644);
	struct identity id;
	assert_int_equal(identity_load_or_create(path, &id, NULL, err), 0);
	assert_int_equal(id.tightened_from_mode, 0644);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	identity_free(&id);
	/* Now it is tight: no flag the second time. */
	assert_int_equal(identity_load_or_create(path, &id, NULL, err), 0);
	assert_int_equal(id.tightened_from_mode, 0);
	identity_free(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_use_creates_key_and_directories),
		cmocka_unit_test(known_secret_gives_known_id_and_signs),
		cmocka_unit_test(rotation_replaces_the_key),
		cmocka_unit_test(refuses_a_file_of_the_wrong_size),
		cmocka_unit_test(refuses_a_directory),
		cmocka_unit_test(tightens_a_readable_key_file),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
