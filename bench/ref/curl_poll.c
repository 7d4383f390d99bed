/* curl_poll.c -- the reference load loop: libcurl as commonly used.
 *
 * N easy handles, each POSTing a JSON rerank body whose query carries a
 * counter (the body shape qvrrun's and wrk's benchmark scripts build), all
 * driven by one multi handle with curl_multi_poll(). Easy handles are reused,
 * so their connections stay alive; the header list is built once. This is
 * the ceiling of qvrrun's own stack (libcurl on one core) with no scripting,
 * no timers and no statistics beyond a count and one latency histogram
 * (1 us buckets up to ~1 s, from the moment a handle is added to the multi
 * handle to its completion, CLOCK_MONOTONIC).
 *
 *   curl_poll URL [CONNECTIONS] [SECONDS]
 *
 * Prints one line:
 *   "requests N ok N errors N seconds S rps R p50_us P p99_us P max_us M".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define BODY_MAX 128
#define HIST_US (1u << 20) /* 1 us buckets; the last one holds the rest */

struct conn {
    CURL *easy;
    char body[BODY_MAX]; /* the current request's body, owned */
    uint64_t start_ns;   /* when it was added to the multi handle */
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double now_s(void)
{
    return (double)now_ns() / 1e9;
}

/* The value (us) below which a fraction q of the n recorded values fall. */
static unsigned long hist_at(const uint32_t *hist, unsigned long n, double q)
{
    unsigned long rank = (unsigned long)(q * (double)n + 0.5), seen = 0, i;

    if (rank < 1)
        rank = 1;
    for (i = 0; i < HIST_US; i++) {
        seen += hist[i];
        if (seen >= rank)
            return i;
    }
    return HIST_US - 1;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* Writes the next distinct body into c and points the easy handle at it
 * (CURLOPT_POSTFIELDS does not copy). */
static void next_body(struct conn *c, unsigned long *seq)
{
    int n;

    (*seq)++;
    n = snprintf(c->body, sizeof(c->body),
                 "{\"query\":\"q%lu\",\"documents\":[\"a\",\"b\",\"c\"]}",
                 *seq);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)n);
    c->start_ns = now_ns();
}

int main(int argc, char **argv)
{
    const char *url;
    int nconn = 50, i, running = 0, rc = 1;
    double secs = 10.0, start, deadline, end;
    unsigned long seq = 0, done = 0, ok = 0, errors = 0, max_us = 0;
    uint32_t *hist = NULL;
    struct conn *conns = NULL;
    struct curl_slist *headers = NULL;
    CURLM *multi = NULL;

    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: curl_poll URL [CONNECTIONS] [SECONDS]\n");
        return 2;
    }
    url = argv[1];
    if (argc > 2)
        nconn = atoi(argv[2]);
    if (argc > 3)
        secs = atof(argv[3]);
    if (nconn < 1 || nconn > 10000 || secs <= 0.0) {
        fprintf(stderr, "curl_poll: bad CONNECTIONS or SECONDS\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    multi = curl_multi_init();
    conns = calloc((size_t)nconn, sizeof(*conns));
    hist = calloc(HIST_US, sizeof(*hist));
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (multi == NULL || conns == NULL || hist == NULL || headers == NULL)
        goto fail;
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)nconn);

    for (i = 0; i < nconn; i++) {
        CURL *e = curl_easy_init();

        if (e == NULL)
            goto fail;
        conns[i].easy = e;
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &conns[i]);
        next_body(&conns[i], &seq);
        curl_multi_add_handle(multi, e);
    }

    start = now_s();
    deadline = start + secs;
    do {
        CURLMsg *msg;
        int left;

        curl_multi_perform(multi, &running);
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            struct conn *c;
            long status = 0;
            unsigned long us;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &c);
            curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
            us = (unsigned long)((now_ns() - c->start_ns) / 1000u);
            if (us > max_us)
                max_us = us;
            hist[us < HIST_US ? us : HIST_US - 1]++;
            done++;
            if (msg->data.result == CURLE_OK && status == 200)
                ok++;
            else
                errors++;
            curl_multi_remove_handle(multi, c->easy);
            if (now_s() < deadline) {
                next_body(c, &seq);
                curl_multi_add_handle(multi, c->easy);
                running++;
            }
        }
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    } while (running > 0 && now_s() < deadline + 5.0);
    end = now_s();

    printf("requests %lu ok %lu errors %lu seconds %.3f rps %.1f p50_us %lu "
           "p99_us %lu max_us %lu\n",
           done, ok, errors, end - start, (double)ok / (end - start),
           hist_at(hist, done, 0.50), hist_at(hist, done, 0.99), max_us);
    rc = errors > 0 ? 1 : 0;

fail:
    if (conns != NULL) {
        for (i = 0; i < nconn; i++) {
            if (conns[i].easy == NULL)
                continue;
            curl_multi_remove_handle(multi, conns[i].easy);
            curl_easy_cleanup(conns[i].easy);
        }
        free(conns);
    }
    free(hist);
    if (multi != NULL)
        curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return rc;
}
