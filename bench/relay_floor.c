/*
 * relay_floor: the least a user-space TCP relay can do, as a yardstick for
 * the tunneled throughput benchmark (throughput_bench.sh). Two of them in a
 * chain have the tunnel's shape (iperf3 -> relay -> relay -> iperf3, three
 * loopback hops) without TLS:
 *
 *   relay_floor LISTEN_PORT CONNECT_PORT                copy only
 *   relay_floor LISTEN_PORT CONNECT_PORT --aead NAME    + an AEAD (OpenSSL's
 *                          name: AES-256-GCM, ChaCha20-Poly1305) over every
 *                          16 KiB, as a TLS record layer seals records
 *
 * --aead pays the cipher's cost (one pass per byte per relay, as a tunnel's
 * encryption or decryption) but is not a protocol: one key, one nonce, the output
 * and tags thrown away, the bytes relayed as they came (iperf3's control
 * connection goes through too). A thread per direction, blocking
 * 256 KiB recv/send: no event loop, no framing, no record layer. What a
 * real tunnel adds on top of this pair is its price for being one.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_BYTES (256 * 1024)
#define CHUNK 16384

static uint16_t connect_port;
static EVP_CIPHER *aead; /* NULL: copy only */

struct direction {
	int from, to;
};

/* The AEAD over buf in CHUNK pieces into sealed, as a TLS record layer
 * would. */
static void seal(EVP_CIPHER_CTX *ctx, const uint8_t *buf, size_t len, uint8_t *sealed)
{
	static const uint8_t key[32], iv[12];
	for (size_t off = 0; off < len; off += CHUNK) {
		int n = (int)(len - off < CHUNK ? len - off : CHUNK), out;
		uint8_t tag[16];
		EVP_EncryptInit_ex(ctx, aead, NULL, key, iv);
		EVP_EncryptUpdate(ctx, sealed + off, &out, buf + off, n);
		EVP_EncryptFinal_ex(ctx, tag, &out);
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, sizeof(tag), tag);
	}
}

static void *pump(void *arg)
{
	struct direction *d = arg;
	uint8_t *buf = malloc(BUF_BYTES), *sealed = malloc(BUF_BYTES);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	for (ssize_t n; buf != NULL && sealed != NULL && ctx != NULL &&
	                (n = recv(d->from, buf, BUF_BYTES, 0)) > 0;) {
		if (aead)
			seal(ctx, buf, (size_t)n, sealed);
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = send(d->to, buf + off, (size_t)(n - off), MSG_NOSIGNAL)) <= 0)
				goto out;
	}
out:
	shutdown(d->to, SHUT_WR);
	EVP_CIPHER_CTX_free(ctx);
	free(sealed);
	free(buf);
	return NULL;
}

static void *serve(void *arg)
{
	int in = (int)(intptr_t)arg, one = 1;
	int out = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(connect_port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (out >= 0 && connect(out, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		setsockopt(in, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct direction up = {in, out}, down = {out, in};
		pthread_t t;
		if (pthread_create(&t, NULL, pump, &down) == 0) {
			pump(&up);
			pthread_join(t, NULL);
		}
	}
	if (out >= 0)
		close(out);
	close(in);
	return NULL;
}

int main(int argc, char **argv)
{
	if (!(argc == 3 || (argc == 5 && strcmp(argv[3], "--aead") == 0))) {
		fprintf(stderr, "usage: relay_floor LISTEN_PORT CONNECT_PORT [--aead NAME]\n");
		return 2;
	}
	connect_port = (uint16_t)atoi(argv[2]);
	if (argc == 5 && (aead = EVP_CIPHER_fetch(NULL, argv[4], NULL)) == NULL) {
		fprintf(stderr, "relay_floor: no AEAD named %s\n", argv[4]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(l, 64) != 0) {
		perror("relay_floor: listen");
		return 1;
	}
	for (;;) {
		int c = accept(l, NULL, NULL);
		pthread_t t;
		if (c >= 0 && pthread_create(&t, NULL, serve, (void *)(intptr_t)c) == 0)
			pthread_detach(t);
		else if (c >= 0)
			close(c);
	}
}
