/* netaddr: host:port parsing for listen addresses and command lines. */
#include "cmocka_all.h"

#include "lib/errbuf.h"
#include "lib/netaddr.h"

#include <netinet/in.h>
#include <string.h>

static void split_accepts_the_usual_forms(void **state)
{
	(void)state;
	char host[64], port[8], err[ERRBUF_LEN];
	assert_int_equal(netaddr_split("example.net:7100", "4000", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "example.net");
	assert_string_equal(port, "7100");
	assert_int_equal(netaddr_split("10.0.0.1", "4000", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(port, "4000");
	assert_int_equal(netaddr_split("[::1]:4001", NULL, host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "4001");
	assert_int_equal(netaddr_split("fe80::1", "4000", host, sizeof(host), port, sizeof(port), err), 0);
	assert_string_equal(host, "fe80::1");
	assert_string_equal(port, "4000");
}

static void split_refuses_bad_text_with_a_reason(void **state)
{
	(void)state;
	char host[64], port[8], err[ERRBUF_LEN];
	const char *bad[] = {"", ":4000", "[::1", "[::1]x", "host:", "host:65536", "host:-1", "host:12ab"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(netaddr_split(bad[i], NULL, host, sizeof(host), port, sizeof(port), err), -1);
		assert_true(strlen(err) > 0);
	}
	char tiny[4];
	assert_int_equal(netaddr_split("longhostname:1", NULL, tiny, sizeof(tiny), port, sizeof(port), err), -1);
}

static void listen_addresses_are_numeric(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	socklen_t len;
	char err[ERRBUF_LEN], text[64];
	assert_int_equal(netaddr_parse_listen("0.0.0.0:4000", &ss, &len, err), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(netaddr_port(&ss), 4000);
	assert_int_equal(netaddr_parse_listen("[::]:4000", &ss, &len, err), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	netaddr_format((struct sockaddr *)&ss, text, sizeof(text));
	assert_string_equal(text, "[::]:4000");
	assert_int_equal(netaddr_parse_listen("localhost:4000", &ss, &len, err), -1);
	assert_non_null(strstr(err, "numeric"));
}

static void same_ip_ignores_ports(void **state)
{
	(void)state;
	struct sockaddr_storage a, b, c;
	socklen_t len;
	assert_int_equal(netaddr_parse_listen("127.0.0.1:1", &a, &len, NULL), 0);
	assert_int_equal(netaddr_parse_listen("127.0.0.1:2", &b, &len, NULL), 0);
	assert_int_equal(netaddr_parse_listen("127.0.0.2:1", &c, &len, NULL), 0);
	assert_true(netaddr_same_ip(&a, &b));
	assert_false(netaddr_same_ip(&a, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_accepts_the_usual_forms),
		cmocka_unit_test(split_refuses_bad_text_with_a_reason),
		cmocka_unit_test(listen_addresses_are_numeric),
		cmocka_unit_test(same_ip_ignores_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
