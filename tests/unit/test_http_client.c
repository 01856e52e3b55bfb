/*
 * test_http_client.c - what common/http_client.c puts on the wire, seen by
 * a raw socket peer rather than by our own server (which would parse it
 * the same way the client meant it).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_client.h"
#include "json_util.h"

static struct http_client *client;

/* A one-shot raw HTTP peer: accepts one connection, keeps the request's
 * head in `head`, answers 200 with "{}". */
struct raw_peer {
    int fd;
    char head[4096];
};

static void *raw_peer_main(void *p)
{
    struct raw_peer *rp = p;
    int c = accept(rp->fd, NULL, NULL);
    size_t got = 0;
    ssize_t n;
    if (c < 0) return NULL;
    while (got < sizeof(rp->head) - 1 &&
           (n = recv(c, rp->head + got, sizeof(rp->head) - 1 - got, 0)) > 0) {
        got += (size_t)n;
        rp->head[got] = '\0';
        if (strstr(rp->head, "\r\n\r\n")) break;
    }
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 "Connection: close\r\n\r\n{}";
    (void)!send(c, answer, sizeof(answer) - 1, MSG_NOSIGNAL);
    close(c);
    return NULL;
}

/* Occurrences of header `name` (with its colon) in a request head. */
static int header_count(const char *head, const char *name)
{
    int n = 0;
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, strlen(name)) == 0) n++;
    return n;
}

/* A JSON call says application/json, once; a raw body says octet-stream. */
static void test_one_content_type(void **state)
{
    (void)state;
    for (int json = 0; json < 2; json++) {
        struct raw_peer rp = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        pthread_t t;
        char hostport[64];
        assert_true(rp.fd >= 0);
        assert_int_equal(bind(rp.fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(rp.fd, 1), 0);
        assert_int_equal(getsockname(rp.fd, (struct sockaddr *)&a, &alen), 0);
        snprintf(hostport, sizeof(hostport), "127.0.0.1:%u",
                 (unsigned)ntohs(a.sin_port));
        assert_int_equal(pthread_create(&t, NULL, raw_peer_main, &rp), 0);
        if (json) {
            json_object *req = json_object_new_object(), *reply = NULL;
            char err[256];
            assert_int_equal(http_json(client, hostport, "POST", "/j", req,
                                       5000, &reply, err, sizeof(err)),
                             0);
            json_object_put(req);
            json_object_put(reply);
        } else {
            struct http_response resp;
            assert_int_equal(http_request(client, hostport, "PUT", "/b", "xy",
                                          2, NULL, 5000, &resp),
                             0);
            http_response_free(&resp);
        }
        pthread_join(t, NULL);
        close(rp.fd);
        assert_int_equal(header_count(rp.head, "Content-Type:"), 1);
        assert_non_null(strstr(rp.head, json ? "Content-Type: application/json"
                                             : "Content-Type: application/"
                                               "octet-stream"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_content_type),
    };
    client = http_client_new(NULL, NULL);
    if (!client) return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    http_client_free(client);
    return failed;
}
