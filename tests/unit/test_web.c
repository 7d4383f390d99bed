/* test_web.c -- the dashboard's server and page: addresses and the
 * optional value of --web, the token rule for non-loopback binds, the
 * page's inlined data that no string can break out of, the history a late
 * client gets, and a client that never reads: the server's backlog for it
 * stays bounded and it is dropped, while publishing goes on at once. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "page.h"
#include "qvr.h"
#include "t.h"
#include "web.h"

static void test_addr(void)
{
    static const struct {
        const char *addr, *host;
        int port, loopback, ok;
    } cases[] = {
        {"0", "127.0.0.1", 0, 1, 1},
        {"127.0.0.1:0", "127.0.0.1", 0, 1, 1},
        {":8089", "127.0.0.1", 8089, 1, 1},
        {NULL, "127.0.0.1", 8089, 1, 1},
        {"0.0.0.0:8089", "0.0.0.0", 8089, 0, 1},
        {"[::1]:9000", "::1", 9000, 1, 1},
        {"127.3.4.5:80", "127.3.4.5", 80, 1, 1},
        {"localhost:80", "localhost", 80, 1, 1},
        {"10.0.0.1:80", "10.0.0.1", 80, 0, 1},
        {"host:99999", "", 0, 0, 0},
        {"host:", "", 0, 0, 0},
        {"[::1]80", "", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char host[128] = "", err[256] = "";
        int port = -1, lb = -1;
        int rc = qvr_web_parse_addr(cases[i].addr, host, sizeof(host), &port,
                                    &lb, err, sizeof(err));
        T_CHECK_MSG((rc == 0) == cases[i].ok, "%s", cases[i].addr);
        if (!cases[i].ok) {
            T_CHECK(strstr(err, "--web") != NULL);
            continue;
        }
        T_EQ_STR(host, cases[i].host);
        T_EQ_INT(port, cases[i].port);
        T_EQ_INT(lb, cases[i].loopback);
    }
    T_EQ_INT(qvr_web_addr_like("0"), 1);
    T_EQ_INT(qvr_web_addr_like("8089"), 1);
    T_EQ_INT(qvr_web_addr_like("127.0.0.1:0"), 1);
    T_EQ_INT(qvr_web_addr_like("[::1]:1"), 1);
    T_EQ_INT(qvr_web_addr_like("scenarios/quickstart.lua"), 0);
    T_EQ_INT(qvr_web_addr_like("c:/x.lua"), 0);
    T_EQ_INT(qvr_web_addr_like("--quiet"), 0);
    T_EQ_INT(qvr_web_addr_like(NULL), 0);
}

static void test_token_rule(void)
{
    struct event_base *b = event_base_new();
    char err[256] = "";
    struct qvr_web *w =
        qvr_web_start(b, "0.0.0.0:0", NULL, NULL, err, sizeof(err));
    T_CHECK(w == NULL);
    T_CHECK(strstr(err, "--web-token") != NULL);
    w = qvr_web_start(b, "0.0.0.0:0", "s3cret", NULL, err, sizeof(err));
    T_CHECK(w != NULL);
    T_CHECK(w && qvr_web_has_token(w));
    qvr_web_stop(w);
    event_base_free(b);
}

static int count(const char *s, const char *part)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, part)); p++)
        n++;
    return n;
}

static void test_page(void)
{
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_page_build(&b, "{\"x\":\"</script><script>alert(1)\"}"), 0);
    /* the three script elements the page has, none from the data */
    T_EQ_INT(count(b.data, "</script>"), 3);
    T_EQ_INT(count(b.data, "<\\/script><script>alert(1)"), 1);
    T_CHECK(strstr(b.data, "sourceMappingURL") == NULL);
    T_CHECK(strstr(b.data, "Dygraph") != NULL);
    T_CHECK(strstr(b.data, "<!--QVR:") == NULL);
    qvr_buf_reset(&b);
    T_EQ_INT(qvr_page_build(&b, NULL), 0);
    T_CHECK(strstr(b.data, "window.QVR_DATA = null;") != NULL);
    qvr_buf_free(&b);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(struct event_base *b, int n)
{
    for (int i = 0; i < n; i++)
        event_base_loop(b, EVLOOP_NONBLOCK);
}

/* A client of /events on port: connected, request sent; rcvbuf bytes of
 * receive buffer (small: a browser that does not read). */
static int events_client(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    static const char req[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_stream(void)
{
    struct event_base *b = event_base_new();
    char err[256] = "";
    struct qvr_web *w =
        qvr_web_start(b, "127.0.0.1:0", NULL, NULL, err, sizeof(err));
    T_CHECK(w != NULL);
    if (!w)
        return;
    int port = atoi(strrchr(qvr_web_url(w), ':') + 1);
    T_EQ_INT(qvr_web_window(w, "[1,2]", "{\"n\":1}"), 0);
    T_EQ_INT(qvr_web_window(w, "[3,4]", "{\"n\":2}"), 0);

    /* a late client gets every window so far and the latest state */
    int fd = events_client(port, 0);
    T_CHECK(fd >= 0);
    char got[4096] = "";
    size_t n = 0;
    double end = now_s() + 5;
    while (!strstr(got, "}\n\n") && now_s() < end && n < sizeof(got) - 1) {
        spin(b, 5);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        ssize_t k = read(fd, got + n, sizeof(got) - 1 - n);
        if (k > 0)
            n += (size_t)k;
        got[n] = 0;
    }
    T_CHECK_MSG(strstr(got, "event: history\ndata: {\"windows\":[[1,2],[3,4]],"
                            "\"state\":{\"n\":2}}\n\n") != NULL,
                "%s", got);
    close(fd);
    spin(b, 20);

    /* a client that never reads: 300 windows of 64 KB each */
    fd = events_client(port, 4096);
    end = now_s() + 5;
    while (qvr_web_clients(w) < 1 && now_s() < end)
        spin(b, 5);
    T_EQ_INT(qvr_web_clients(w), 1);
    size_t big = 64 * 1024;
    char *state = malloc(big + 16);
    memset(state, 'x', big);
    memcpy(state, "{\"s\":\"", 6);
    memcpy(state + big - 2, "\"}", 3);
    size_t most = 0;
    double slowest = 0;
    for (int i = 0; i < 300; i++) {
        double t = now_s();
        qvr_web_window(w, "[5,6]", state);
        t = now_s() - t;
        slowest = t > slowest ? t : slowest;
        spin(b, 3);
        size_t u = qvr_web_unsent(w);
        most = u > most ? u : most;
    }
    T_CHECK_MSG(most <= QVR_WEB_CLIENT_MAX + 2 * big, "%zu bytes queued", most);
    T_CHECK_MSG(slowest < 0.05, "a window took %.3fs to publish", slowest);
    T_EQ_INT(qvr_web_clients(w), 0); /* dropped: its browser reconnects */
    free(state);
    close(fd);
    qvr_web_stop(w);
    event_base_free(b);
}

int main(void)
{
    test_addr();
    test_token_rule();
    test_page();
    test_stream();
    return T_DONE();
}
