/* curl_stream.c -- the reference streaming loop: plain libcurl, multi socket
 * API on epoll, N concurrent SSE streams.
 *
 * Each of N easy handles POSTs an OpenAI chat completion with
 * "stream": true and reads the text/event-stream answer in its write
 * callback, which timestamps every chunk it is given (one CLOCK_MONOTONIC
 * read per callback) and splits it into lines. A line "data: ..." that
 * carries output ("content":"x... or "text":"x..., not the empty role
 * chunk, not [DONE]) is a token: the first one gives the TTFT (from the
 * moment the handle was added to the multi handle), the next ones the
 * inter-token gaps. When a stream ends its handle is added again, so N
 * streams are always open (a closed loop), until SECONDS have passed.
 *
 * The event loop is hiperfifo's shape on epoll instead of libevent: the
 * socket callback adds, changes or removes a descriptor in the epoll set,
 * the timer callback stores curl's timeout, epoll_wait sleeps until a
 * descriptor is ready or that timeout, and curl_multi_socket_action is told
 * exactly which descriptor (or the timeout) fired; completions are read
 * after every call. No transfer is walked unless it has something to do.
 *
 *   curl_stream URL [STREAMS] [SECONDS] [MAX_TOKENS]
 *
 * URL is the full endpoint (http://HOST:PORT/v1/chat/completions). Prints
 * one line:
 *   "requests N ok N errors N seconds S rps R tokens T tokens_per_s X
 *    ttft_p50_us A ttft_p99_us B itl_p50_us C itl_p99_us D"
 * (histograms of 1 us buckets up to ~1 s). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define HIST_US (1u << 20) /* 1 us buckets; the last one holds the rest */
#define LINE_MAX_KEEP 256  /* bytes of a line kept to classify it */
#define MAX_EVENTS 256

struct stream {
    CURL *easy;
    uint64_t start_ns;        /* added to the multi handle */
    uint64_t last_tok_ns;     /* the previous token's arrival; 0 = none yet */
    unsigned long tokens;     /* tokens of this answer */
    char line[LINE_MAX_KEEP]; /* the start of the current line */
    size_t len;               /* bytes of the current line (may exceed) */
};

struct loop {
    CURLM *multi;
    int epfd;
    long timeout_ms; /* curl's timer; -1 = none */
    int running;
    struct stream *streams;
    int n;
    char body[256];
    uint64_t deadline_ns;
    unsigned long requests, ok, errors, tokens;
    uint32_t *ttft, *itl; /* histograms */
    unsigned long nttft, nitl;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hist_add(uint32_t *h, unsigned long *n, uint64_t ns)
{
    uint64_t us = ns / 1000;

    h[us < HIST_US ? us : HIST_US - 1]++;
    (*n)++;
}

/* The value (us) below which a fraction q of the n recorded values fall. */
static unsigned long hist_at(const uint32_t *h, unsigned long n, double q)
{
    unsigned long rank = (unsigned long)(q * (double)n + 0.5), seen = 0, i;

    if (n == 0)
        return 0;
    if (rank < 1)
        rank = 1;
    for (i = 0; i < HIST_US; i++) {
        seen += h[i];
        if (seen >= rank)
            return i;
    }
    return HIST_US - 1;
}

/* 1 when a complete line is an SSE event that carries output. */
static int is_token(const char *l, size_t len)
{
    static const char *const keys[] = {"\"content\":\"", "\"text\":\""};
    size_t i;

    if (len < 6 || memcmp(l, "data:", 5) != 0)
        return 0;
    for (i = 0; i < 2; i++) {
        const char *p = strstr(l, keys[i]);

        if (p != NULL && p[strlen(keys[i])] != '"' &&
            p[strlen(keys[i])] != '\0')
            return 1;
    }
    return 0;
}

static void on_line(struct loop *lp, struct stream *s, uint64_t t)
{
    size_t keep = s->len < LINE_MAX_KEEP - 1 ? s->len : LINE_MAX_KEEP - 1;

    s->line[keep] = '\0';
    if (!is_token(s->line, keep))
        return;
    if (s->last_tok_ns == 0)
        hist_add(lp->ttft, &lp->nttft, t - s->start_ns);
    else
        hist_add(lp->itl, &lp->nitl, t - s->last_tok_ns);
    s->last_tok_ns = t;
    s->tokens++;
}

static struct loop *g_loop; /* only for the write callback's context */

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct stream *s = arg;
    size_t n = size * nmemb, i;
    uint64_t t = now_ns();

    for (i = 0; i < n; i++) {
        char c = data[i];

        if (c == '\n') {
            on_line(g_loop, s, t);
            s->len = 0;
            continue;
        }
        if (c == '\r')
            continue;
        if (s->len < LINE_MAX_KEEP - 1)
            s->line[s->len] = c;
        s->len++;
    }
    return n;
}

static void start(struct loop *lp, struct stream *s)
{
    s->start_ns = now_ns();
    s->last_tok_ns = 0;
    s->tokens = 0;
    s->len = 0;
    curl_multi_add_handle(lp->multi, s->easy);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg,
                     void *sockp)
{
    struct loop *lp = arg;
    struct epoll_event ev;

    (void)e;
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = fd;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) |
                (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (sockp == NULL) {
        if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST)
            epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &ev);
        curl_multi_assign(lp->multi, fd, lp); /* marks fd as known */
    } else {
        epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return 0;
}

static int on_timer(CURLM *multi, long ms, void *arg)
{
    struct loop *lp = arg;

    (void)multi;
    lp->timeout_ms = ms;
    return 0;
}

/* Reads completions; restarts each stream until the deadline. */
static void drain(struct loop *lp)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(lp->multi, &left)) != NULL) {
        struct stream *s;
        long code = 0;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        curl_multi_remove_handle(lp->multi, msg->easy_handle);
        lp->requests++;
        if (msg->data.result == CURLE_OK && code == 200 && s->tokens > 0) {
            lp->ok++;
            lp->tokens += s->tokens;
        } else {
            lp->errors++;
        }
        if (now_ns() < lp->deadline_ns)
            start(lp, s);
    }
}

int main(int argc, char **argv)
{
    struct loop lp;
    struct curl_slist *hdr = NULL;
    struct epoll_event evs[MAX_EVENTS];
    uint64_t t0, t1;
    int i, nfd, max_tokens;
    double secs;

    if (argc < 2) {
        fprintf(stderr,
                "usage: curl_stream URL [STREAMS] [SECONDS] [MAX_TOKENS]\n");
        return 2;
    }
    memset(&lp, 0, sizeof(lp));
    lp.n = argc > 2 ? atoi(argv[2]) : 256;
    secs = argc > 3 ? atof(argv[3]) : 10.0;
    max_tokens = argc > 4 ? atoi(argv[4]) : 32;
    if (lp.n < 1 || secs <= 0 || max_tokens < 1) {
        fprintf(stderr, "curl_stream: bad STREAMS, SECONDS or MAX_TOKENS\n");
        return 2;
    }
    snprintf(lp.body, sizeof(lp.body),
             "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\","
             "\"content\":\"Tell me a story\"}],\"max_tokens\":%d,"
             "\"stream\":true}",
             max_tokens);
    lp.ttft = calloc(HIST_US, sizeof(*lp.ttft));
    lp.itl = calloc(HIST_US, sizeof(*lp.itl));
    lp.streams = calloc((size_t)lp.n, sizeof(*lp.streams));
    lp.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp.ttft == NULL || lp.itl == NULL || lp.streams == NULL ||
        lp.epfd < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "curl_stream: cannot start: %s\n", strerror(errno));
        return 1;
    }
    g_loop = &lp;
    lp.timeout_ms = -1;
    lp.multi = curl_multi_init();
    curl_multi_setopt(lp.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(lp.multi, CURLMOPT_SOCKETDATA, &lp);
    curl_multi_setopt(lp.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(lp.multi, CURLMOPT_TIMERDATA, &lp);
    curl_multi_setopt(lp.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)lp.n);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: text/event-stream");
    for (i = 0; i < lp.n; i++) {
        CURL *e = curl_easy_init();

        lp.streams[i].easy = e;
        curl_easy_setopt(e, CURLOPT_URL, argv[1]);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, lp.body);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &lp.streams[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)&lp.streams[i]);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    }
    t0 = now_ns();
    lp.deadline_ns = t0 + (uint64_t)(secs * 1e9);
    for (i = 0; i < lp.n; i++)
        start(&lp, &lp.streams[i]);
    curl_multi_socket_action(lp.multi, CURL_SOCKET_TIMEOUT, 0, &lp.running);
    drain(&lp);
    while (lp.running > 0 || now_ns() < lp.deadline_ns) {
        int wait = lp.timeout_ms < 0 ? 100 : (int)lp.timeout_ms;

        if (now_ns() >= lp.deadline_ns)
            break;
        nfd = epoll_wait(lp.epfd, evs, MAX_EVENTS, wait);
        if (nfd < 0 && errno != EINTR)
            break;
        if (nfd <= 0) {
            curl_multi_socket_action(lp.multi, CURL_SOCKET_TIMEOUT, 0,
                                     &lp.running);
        } else {
            for (i = 0; i < nfd; i++) {
                int flags =
                    (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR
                                                           : 0);

                curl_multi_socket_action(lp.multi, evs[i].data.fd, flags,
                                         &lp.running);
            }
        }
        drain(&lp);
    }
    t1 = now_ns();
    secs = (double)(t1 - t0) / 1e9;
    printf("requests %lu ok %lu errors %lu seconds %.3f rps %.1f tokens %lu "
           "tokens_per_s %.0f ttft_p50_us %lu ttft_p99_us %lu itl_p50_us %lu "
           "itl_p99_us %lu\n",
           lp.requests, lp.ok, lp.errors, secs, (double)lp.ok / secs, lp.tokens,
           (double)lp.tokens / secs, hist_at(lp.ttft, lp.nttft, 0.50),
           hist_at(lp.ttft, lp.nttft, 0.99), hist_at(lp.itl, lp.nitl, 0.50),
           hist_at(lp.itl, lp.nitl, 0.99));
    for (i = 0; i < lp.n; i++) {
        curl_multi_remove_handle(lp.multi, lp.streams[i].easy);
        curl_easy_cleanup(lp.streams[i].easy);
    }
    curl_multi_cleanup(lp.multi);
    curl_slist_free_all(hdr);
    close(lp.epfd);
    free(lp.ttft);
    free(lp.itl);
    free(lp.streams);
    curl_global_cleanup();
    return lp.ok > 0 ? 0 : 1;
}
