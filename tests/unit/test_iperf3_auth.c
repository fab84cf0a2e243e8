/* iperf3_auth: the users-file line iperf3 expects, and the key and users
 * files' life (modes, removal). */
#include "cmocka_all.h"

#include "lib/errbuf.h"
#include "reflector/iperf3_auth.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER "9b2f6c1e-4d3a-4f8b-9c2d-1e0f3a4b5c6d"
#define PASSWORD "0f8c1e2a-3b4d-4e5f-8a6b-7c8d9e0f1a2b"

static void users_line_is_sha256_of_braced_user_and_password(void **state)
{
	(void)state;
	char line[160];
	iperf3_auth_users_line(USER, PASSWORD, line, sizeof(line));
	/* echo -n "{$USER}$PASSWORD" | sha256sum, as iperf3's documentation says */
	assert_string_equal(line, USER ",1b8f3e5eacde7328a9bcfdde2170a39f9ff71901a2624260ab67750cb09a4e50");
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void key_and_users_files_live_and_go(void **state)
{
	(void)state;
	char dir[] = "/tmp/pp-iperf3-auth-XXXXXX", err[ERRBUF_LEN], users[4200];
	assert_non_null(mkdtemp(dir));
	struct iperf3_auth *a = iperf3_auth_new(dir, err);
	assert_non_null(a);
	assert_int_equal(mode_of(iperf3_auth_private_key_path(a)), 0600);
	/* The public key in the grant is the private key's. */
	BIO *b = BIO_new_mem_buf(iperf3_auth_public_pem(a), -1);
	EVP_PKEY *pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	FILE *f = fopen(iperf3_auth_private_key_path(a), "r");
	EVP_PKEY *priv = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pub);
	assert_non_null(priv);
	assert_int_equal(EVP_PKEY_eq(pub, priv), 1);
	assert_int_equal(EVP_PKEY_get_bits(pub), 2048);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);

	assert_int_equal(iperf3_auth_add_user(a, USER, PASSWORD, users, sizeof(users), err), 0);
	assert_int_equal(mode_of(users), 0600);
	char text[200] = "";
	f = fopen(users, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_non_null(strstr(text, USER ",1b8f3e5e"));
	/* Names that could leave the directory are refused. */
	assert_int_equal(iperf3_auth_add_user(a, "../x", PASSWORD, users, sizeof(users), err), -1);
	assert_non_null(strstr(err, "plain name"));
	iperf3_auth_remove_user(a, USER);
	assert_int_not_equal(access(users, F_OK), 0);

	/* Freed with a session's file still there: all of it goes. */
	assert_int_equal(iperf3_auth_add_user(a, "other", "pw", users, sizeof(users), err), 0);
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/iperf3-auth", dir);
	iperf3_auth_free(a);
	assert_int_not_equal(access(sub, F_OK), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(users_line_is_sha256_of_braced_user_and_password),
		cmocka_unit_test(key_and_users_files_live_and_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
