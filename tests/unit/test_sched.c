/* test_sched.c -- the load plan as pure functions of time.
 *
 * Every expected instant is computed here in exact integer arithmetic, so
 * an implementation that rounds with an epsilon, or measures from the wrong
 * end of a stage, is off by at least one nanosecond somewhere and fails. */
#include "clock.h"
#include "sched.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "qvr.h"
#include "t.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static struct qvr_load users_load(int count, double rate, uint64_t dur)
{
    struct qvr_load l;
    memset(&l, 0, sizeof(l));
    l.kind = QVR_LOAD_USERS;
    l.users = count;
    l.spawn_rate = rate;
    l.duration_ns = dur;
    return l;
}

/* A ramp from {dur, users} pairs; a hold is a pair with the level kept. */
static struct qvr_load ramp_load(int n, const uint64_t *dur, const int *users)
{
    struct qvr_load l;
    memset(&l, 0, sizeof(l));
    l.kind = QVR_LOAD_RAMP;
    l.nstages = n;
    for (int i = 0; i < n; i++) {
        l.stages[i].dur_ns = dur[i];
        l.stages[i].users = users[i];
    }
    return l;
}

/* users{}: spawn rate num/den per second; user k starts at the first ns
 * at or after k * 1e9 * den / num. */
static void test_users_spawn(void)
{
    static const struct {
        uint64_t num, den;
    } rates[] = {{1, 1}, {2, 1}, {3, 1},  {7, 1},    {1, 2},
                 {1, 4}, {3, 2}, {10, 1}, {1000, 1}, {9, 4}};
    const int count = 10;
    for (size_t r = 0; r < QVR_ARRAY_LEN(rates); r++) {
        double rate = (double)rates[r].num / (double)rates[r].den;
        struct qvr_load l = users_load(count, rate, 60 * SEC);
        T_EQ_INT(qvr_sched_users_at(&l, 0), 1);
        T_EQ_INT(qvr_sched_max_users(&l), count);
        T_EQ_INT(qvr_sched_duration(&l), 60 * SEC);
        for (int k = 1; k < count; k++) {
            uint64_t x = (uint64_t)k * SEC * rates[r].den;
            uint64_t c = (x + rates[r].num - 1) / rates[r].num; /* ceil */
            T_CHECK_MSG(qvr_sched_users_at(&l, c - 1) == k,
                        "rate %g: at %llu ns %d users, want %d", rate,
                        (unsigned long long)(c - 1),
                        qvr_sched_users_at(&l, c - 1), k);
            T_CHECK_MSG(qvr_sched_users_at(&l, c) == k + 1,
                        "rate %g: at %llu ns %d users, want %d", rate,
                        (unsigned long long)c, qvr_sched_users_at(&l, c),
                        k + 1);
            T_CHECK_MSG(qvr_sched_next_change(&l, c - 1) == c,
                        "rate %g: next_change(%llu) = %llu, want %llu", rate,
                        (unsigned long long)(c - 1),
                        (unsigned long long)qvr_sched_next_change(&l, c - 1),
                        (unsigned long long)c);
            if (k < count - 1)
                T_CHECK(qvr_sched_next_change(&l, c) > c);
            else
                T_CHECK(qvr_sched_next_change(&l, c) == UINT64_MAX);
        }
        /* Never above count, however late. */
        T_EQ_INT(qvr_sched_users_at(&l, 3600 * SEC), count);
        T_EQ_INT(qvr_sched_users_at(&l, UINT64_MAX - 1), count);
        T_CHECK(qvr_sched_next_change(&l, 3600 * SEC) == UINT64_MAX);
    }
}

static void test_users_fixed_points(void)
{
    /* The brief's example: rate 2 -> user 1 at 0.5 s, user 2 at 1 s. */
    struct qvr_load l = users_load(3, 2, 10 * SEC);
    static const struct {
        uint64_t t;
        int users;
        uint64_t next;
    } pts[] = {
        {0, 1, 500 * MS},
        {1, 1, 500 * MS},
        {500 * MS - 1, 1, 500 * MS},
        {500 * MS, 2, SEC},
        {SEC - 1, 2, SEC},
        {SEC, 3, UINT64_MAX},
        {SEC + 1, 3, UINT64_MAX},
        {10 * SEC, 3, UINT64_MAX},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(pts); i++) {
        T_EQ_INT(qvr_sched_users_at(&l, pts[i].t), pts[i].users);
        T_CHECK(qvr_sched_next_change(&l, pts[i].t) == pts[i].next);
    }

    /* No spawn rate: everyone at once, nothing changes. */
    struct qvr_load all = users_load(25, 0, 5 * SEC);
    T_EQ_INT(qvr_sched_users_at(&all, 0), 25);
    T_EQ_INT(qvr_sched_users_at(&all, 4 * SEC), 25);
    T_CHECK(qvr_sched_next_change(&all, 0) == UINT64_MAX);
    T_EQ_INT(qvr_sched_max_users(&all), 25);

    /* One user with a spawn rate: starts at 0, nothing more. */
    struct qvr_load one = users_load(1, 0.1, 5 * SEC);
    T_EQ_INT(qvr_sched_users_at(&one, 0), 1);
    T_CHECK(qvr_sched_next_change(&one, 0) == UINT64_MAX);

    /* A rate faster than the clock: several users per ns, still capped. */
    struct qvr_load fast = users_load(100, 4e9, SEC);
    T_EQ_INT(qvr_sched_users_at(&fast, 0), 1);
    T_EQ_INT(qvr_sched_users_at(&fast, 1), 5);
    T_EQ_INT(qvr_sched_users_at(&fast, 24), 97);
    T_EQ_INT(qvr_sched_users_at(&fast, 25), 100);
    T_EQ_INT(qvr_sched_users_at(&fast, 1000), 100);
    T_CHECK(qvr_sched_next_change(&fast, 0) == 1);
    T_CHECK(qvr_sched_next_change(&fast, 24) == 25);
    T_CHECK(qvr_sched_next_change(&fast, 25) == UINT64_MAX);
}

/* ramp{ {users=20, over="10s"}, {hold="10s"} } on a 100 ms grid. */
static void test_ramp_up_hold(void)
{
    static const uint64_t d[] = {10 * SEC, 10 * SEC};
    static const int u[] = {20, 20};
    struct qvr_load l = ramp_load(2, d, u);
    T_EQ_INT(qvr_sched_duration(&l), 20 * SEC);
    T_EQ_INT(qvr_sched_max_users(&l), 20);
    int bad = 0;
    for (uint64_t j = 0; j <= 200; j++) {
        uint64_t t = j * 100 * MS;
        int want = j <= 100 ? (int)(20 * j / 100) : 20;
        if (qvr_sched_users_at(&l, t) != want) {
            if (bad++ < 5)
                T_CHECK_MSG(0, "ramp up: at %llu ms %d users, want %d",
                            (unsigned long long)(j * 100),
                            qvr_sched_users_at(&l, t), want);
        }
    }
    T_EQ_INT(bad, 0);
    /* Each user arrives exactly every 500 ms, not a ns early. */
    for (int k = 1; k <= 20; k++) {
        uint64_t c = (uint64_t)k * 500 * MS;
        T_EQ_INT(qvr_sched_users_at(&l, c - 1), k - 1);
        T_EQ_INT(qvr_sched_users_at(&l, c), k);
        T_CHECK(qvr_sched_next_change(&l, c - 1) == c);
    }
    T_CHECK(qvr_sched_next_change(&l, 10 * SEC) == UINT64_MAX);
    T_CHECK(qvr_sched_next_change(&l, 15 * SEC) == UINT64_MAX);
    T_EQ_INT(qvr_sched_users_at(&l, 25 * SEC), 20);
}

/* ramp 0 -> 20 -> 0: the way down is the time mirror of the way up
 * ("rounded down": 20 - ceil(20 x / 10 s) at x into the stage). */
static void test_ramp_down(void)
{
    static const uint64_t d[] = {10 * SEC, 10 * SEC};
    static const int u[] = {20, 0};
    struct qvr_load l = ramp_load(2, d, u);
    T_EQ_INT(qvr_sched_duration(&l), 20 * SEC);
    T_EQ_INT(qvr_sched_max_users(&l), 20);
    int bad = 0;
    for (uint64_t j = 0; j <= 100; j++) {
        uint64_t t = 10 * SEC + j * 100 * MS;
        int want = 20 - (int)((20 * j + 99) / 100);
        if (qvr_sched_users_at(&l, t) != want && bad++ < 5)
            T_CHECK_MSG(0, "ramp down: at +%llu ms %d users, want %d",
                        (unsigned long long)(j * 100),
                        qvr_sched_users_at(&l, t), want);
    }
    T_EQ_INT(bad, 0);
    /* Mirror: users at 10 s + x equal users at 10 s - x. */
    for (int i = 0; i < 2000; i++) {
        uint64_t x = next_rand() % (10 * SEC);
        T_EQ_INT(qvr_sched_users_at(&l, 10 * SEC + x),
                 qvr_sched_users_at(&l, 10 * SEC - x));
    }
    T_EQ_INT(qvr_sched_users_at(&l, 20 * SEC), 0);
    T_EQ_INT(qvr_sched_users_at(&l, 30 * SEC), 0);
    T_CHECK(qvr_sched_next_change(&l, 20 * SEC) == UINT64_MAX);
    /* Ramps start from zero users. */
    static const uint64_t d1[] = {SEC};
    static const int u1[] = {4};
    struct qvr_load up = ramp_load(1, d1, u1);
    T_EQ_INT(qvr_sched_users_at(&up, 0), 0);
    T_EQ_INT(qvr_sched_users_at(&up, 250 * MS), 1);
    T_EQ_INT(qvr_sched_users_at(&up, SEC), 4);
}

/* Walks every change instant of l from 0 and checks that the count is
 * constant between them and differs at them. Returns the number of
 * changes seen. */
static long walk_changes(const struct qvr_load *l, const char *what)
{
    uint64_t t = 0;
    long n = 0;
    int bad = 0;
    for (;;) {
        uint64_t c = qvr_sched_next_change(l, t);
        if (c == UINT64_MAX)
            break;
        int before = qvr_sched_users_at(l, t);
        if (c <= t || qvr_sched_users_at(l, c - 1) != before ||
            qvr_sched_users_at(l, c) == before) {
            if (bad++ < 5)
                T_CHECK_MSG(0,
                            "%s: t=%llu users %d, next_change %llu, users "
                            "before it %d, at it %d",
                            what, (unsigned long long)t, before,
                            (unsigned long long)c, qvr_sched_users_at(l, c - 1),
                            qvr_sched_users_at(l, c));
            if (c <= t)
                break;
        }
        t = c;
        if (++n > 20000000)
            break;
    }
    T_CHECK_MSG(bad == 0, "%s: %d bad change instants", what, bad);
    /* After the last change the count is final. */
    T_EQ_INT(qvr_sched_users_at(l, t),
             qvr_sched_users_at(l, qvr_sched_duration(l) + 12345));
    return n;
}

/* For random t: users_at is constant on [t, next_change(t)) and differs at
 * next_change(t). */
static void random_consistency(const struct qvr_load *l, const char *what)
{
    uint64_t end = qvr_sched_duration(l) + SEC;
    int bad = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t t = next_rand() % end;
        int now = qvr_sched_users_at(l, t);
        uint64_t c = qvr_sched_next_change(l, t);
        int ok = c > t;
        if (c != UINT64_MAX) {
            ok = ok && qvr_sched_users_at(l, c) != now &&
                 qvr_sched_users_at(l, c - 1) == now;
            for (int j = 0; j < 8 && ok; j++) {
                uint64_t u = t + next_rand() % (c - t);
                ok = qvr_sched_users_at(l, u) == now;
            }
        } else {
            for (int j = 0; j < 8 && ok; j++)
                ok = qvr_sched_users_at(l, t + next_rand() % (4 * end)) == now;
        }
        if (!ok && bad++ < 5)
            T_CHECK_MSG(0, "%s: t=%llu users %d next_change %llu", what,
                        (unsigned long long)t, now, (unsigned long long)c);
    }
    T_CHECK_MSG(bad == 0, "%s: %d inconsistent instants", what, bad);
}

static void test_ramp_consistency(void)
{
    static const struct {
        const char *what;
        int n;
        uint64_t dur[8];
        int users[8];
        long changes; /* distinct change instants from 0 */
        int max;
    } plans[] = {
        {"up-hold", 2, {10 * SEC, 10 * SEC}, {20, 20}, 20, 20},
        {"up-down", 2, {10 * SEC, 10 * SEC}, {20, 0}, 40, 20},
        {"odd", 3, {333 * MS, 7 * SEC + 1, 1}, {7, 2, 9}, 7 + 5 + 1, 9},
        {"multi",
         7,
         {3 * SEC, 2 * SEC, SEC, SEC, 500 * MS, 3600 * SEC, 10 * SEC},
         {7, 7, 3, 3, 1000, 0, 0},
         7 + 4 + 997 + 1000,
         1000},
        /* More users than nanoseconds: several arrive at once. */
        {"dense", 2, {MS, MS}, {3000000, 5}, 1000000 + 1000000, 3000000},
        /* A hold at zero first, then up; a stage to the same level. */
        {"late", 4, {5 * SEC, 2 * SEC, SEC, 2 * SEC}, {0, 4, 4, 1}, 4 + 3, 4},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(plans); i++) {
        struct qvr_load l = ramp_load(plans[i].n, plans[i].dur, plans[i].users);
        uint64_t sum = 0;
        for (int s = 0; s < plans[i].n; s++)
            sum += plans[i].dur[s];
        T_EQ_INT(qvr_sched_duration(&l), sum);
        T_EQ_INT(qvr_sched_max_users(&l), plans[i].max);
        long n = walk_changes(&l, plans[i].what);
        T_CHECK_MSG(n == plans[i].changes, "%s: %ld changes, want %ld",
                    plans[i].what, n, plans[i].changes);
        random_consistency(&l, plans[i].what);
    }

    /* The long stage of "multi": 1000 -> 0 over an hour starting at 7.5 s,
     * one user leaves at 1 ns and then every 3.6 s (the first ns past each
     * 3.6 s mark: the level is 1000 - ceil(x / 3.6 s)). */
    struct qvr_load l = ramp_load(plans[3].n, plans[3].dur, plans[3].users);
    uint64_t s0 = 7500 * MS;
    T_EQ_INT(qvr_sched_users_at(&l, s0), 1000);
    T_EQ_INT(qvr_sched_users_at(&l, s0 + 1), 999);
    T_CHECK(qvr_sched_next_change(&l, s0 - 1) == s0);
    T_CHECK(qvr_sched_next_change(&l, s0) == s0 + 1);
    for (uint64_t k = 1; k < 1000; k += 37) {
        uint64_t c = s0 + k * 3600 * MS + 1;
        T_EQ_INT(qvr_sched_users_at(&l, c - 1), 1000 - (int)k);
        T_EQ_INT(qvr_sched_users_at(&l, c), 1000 - (int)k - 1);
        T_CHECK(qvr_sched_next_change(&l, c - 1) == c);
    }

    /* users{} walks the same way. */
    static const double rates[] = {1, 3, 0.7, 12.5, 1e6};
    for (size_t i = 0; i < QVR_ARRAY_LEN(rates); i++) {
        struct qvr_load u = users_load(50, rates[i], 100 * SEC);
        T_EQ_INT(walk_changes(&u, "users"), 49);
        random_consistency(&u, "users");
    }
}

/* --segment K/N: at every instant the parts' users add up to the plan's,
 * never differ by more than one, and rates are divided. */
static void test_split(void)
{
    static const int parts[] = {1, 2, 3, 4, 7, 16};
    struct qvr_load whole;
    memset(&whole, 0, sizeof(whole));
    whole.kind = QVR_LOAD_RAMP;
    whole.nstages = 3;
    whole.stages[0].users = 37;
    whole.stages[0].dur_ns = 10 * QVR_NS_PER_S;
    whole.stages[1].users = 37;
    whole.stages[1].dur_ns = 5 * QVR_NS_PER_S;
    whole.stages[2].users = 5;
    whole.stages[2].dur_ns = 7 * QVR_NS_PER_S;
    struct qvr_load users = whole;
    users.kind = QVR_LOAD_USERS;
    users.users = 101;
    users.spawn_rate = 9.5;
    users.duration_ns = 30 * QVR_NS_PER_S;
    const struct qvr_load *plans[2] = {&whole, &users};
    for (int pl = 0; pl < 2; pl++) {
        for (size_t pi = 0; pi < sizeof(parts) / sizeof(parts[0]); pi++) {
            int n = parts[pi], bad = 0, maxsum = 0;
            struct qvr_load part[16];
            for (int k = 0; k < n; k++) {
                part[k] = *plans[pl];
                qvr_sched_split(&part[k], k + 1, n);
                maxsum += qvr_sched_max_users(&part[k]);
            }
            T_EQ_INT(maxsum, qvr_sched_max_users(plans[pl]));
            for (uint64_t t = 0; t < 25 * QVR_NS_PER_S;
                 t += 37 * QVR_NS_PER_MS) {
                int sum = 0, lo = 1 << 30, hi = 0;
                for (int k = 0; k < n; k++) {
                    int u = qvr_sched_users_at(&part[k], t);
                    sum += u;
                    lo = u < lo ? u : lo;
                    hi = u > hi ? u : hi;
                }
                bad += sum != qvr_sched_users_at(plans[pl], t) || hi - lo > 1;
            }
            T_EQ_INT(bad, 0);
        }
    }
    struct qvr_load rate;
    memset(&rate, 0, sizeof(rate));
    rate.kind = QVR_LOAD_RATE;
    rate.rps = 100;
    rate.max_users = 7;
    double rps = 0;
    int pool = 0;
    for (int k = 1; k <= 3; k++) {
        struct qvr_load r = rate;
        qvr_sched_split(&r, k, 3);
        rps += r.rps;
        pool += r.max_users;
        T_EQ_INT(r.arrival_offset_ns, (uint64_t)((k - 1) * 1e7));
    }
    T_NEAR(rps, 100, 1e-9);
    T_EQ_INT(pool, 7);

    /* where the steady phase starts: the plan's first moment at its most */
    T_EQ_INT(qvr_sched_full_ns(&whole), 10 * QVR_NS_PER_S);
    struct qvr_load u;
    memset(&u, 0, sizeof(u));
    u.kind = QVR_LOAD_USERS;
    u.users = 5;
    u.spawn_rate = 2;
    u.duration_ns = 10 * QVR_NS_PER_S;
    T_EQ_INT(qvr_sched_full_ns(&u), 2 * QVR_NS_PER_S);
    u.spawn_rate = 0;
    T_EQ_INT(qvr_sched_full_ns(&u), 0);
}

/* steps{users=, spawn_rate=}: each step moves to its users one at a time,
 * the first change at once and the k-th at (k-1) / rate; its settle and
 * hold follow the last change. */
static struct qvr_load steps_load(int n, const int *users, double rate)
{
    struct qvr_load l;
    memset(&l, 0, sizeof(l));
    l.kind = QVR_LOAD_STEPS;
    l.nsteps = n;
    for (int i = 0; i < n; i++)
        l.steps[i].users = users[i];
    l.spawn_rate = rate;
    l.settle_ns = SEC;
    l.hold_ns = 2 * SEC;
    return l;
}

static void test_steps_spawn(void)
{
    static const int users[] = {1, 7, 3};
    struct qvr_load l = steps_load(3, users, 2);
    /* within a step */
    T_EQ_INT(qvr_sched_step_spawn_ns(&l, 0), 0);
    T_EQ_INT(qvr_sched_step_users(&l, 0, 0, 1, 1), 1);
    T_EQ_INT(qvr_sched_step_spawn_ns(&l, 1), 2500 * MS);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 0, 1, 1), 2);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 500 * MS - 1, 1, 1), 2);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 500 * MS, 1, 1), 3);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 2500 * MS - 1, 1, 1), 6);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 2500 * MS, 1, 1), 7);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 60 * SEC, 1, 1), 7);
    T_CHECK(qvr_sched_step_next_change(&l, 1, 0) == 500 * MS);
    T_CHECK(qvr_sched_step_next_change(&l, 1, 2 * SEC) == 2500 * MS);
    T_CHECK(qvr_sched_step_next_change(&l, 1, 2500 * MS) == UINT64_MAX);
    /* down: 7 -> 3 in 4 changes, the last 1.5 s in */
    T_EQ_INT(qvr_sched_step_spawn_ns(&l, 2), 1500 * MS);
    T_EQ_INT(qvr_sched_step_users(&l, 2, 0, 1, 1), 6);
    T_EQ_INT(qvr_sched_step_users(&l, 2, 1500 * MS, 1, 1), 3);
    /* parts of a split load add up to the whole at every instant */
    for (uint64_t x = 0; x < 3 * SEC; x += 100 * MS) {
        int whole = qvr_sched_step_users(&l, 1, x, 1, 1);
        int sum = 0;
        for (int k = 1; k <= 3; k++)
            sum += qvr_sched_step_users(&l, 1, x, k, 3);
        T_EQ_INT(sum, whole);
    }
    /* on the plan's timeline: 3 s, 5.5 s and 4.5 s */
    T_EQ_INT(qvr_sched_duration(&l), 13 * SEC);
    T_EQ_INT(qvr_sched_users_at(&l, 0), 1);
    T_EQ_INT(qvr_sched_users_at(&l, 3 * SEC - 1), 1);
    T_EQ_INT(qvr_sched_users_at(&l, 3 * SEC), 2);
    T_EQ_INT(qvr_sched_users_at(&l, 5500 * MS), 7);
    T_EQ_INT(qvr_sched_users_at(&l, 8500 * MS - 1), 7);
    T_EQ_INT(qvr_sched_users_at(&l, 8500 * MS), 6);
    T_EQ_INT(qvr_sched_users_at(&l, 10 * SEC), 3);
    T_EQ_INT(qvr_sched_users_at(&l, 99 * SEC), 3);
    T_EQ_INT(qvr_sched_full_ns(&l), 5500 * MS);
    T_EQ_INT(walk_changes(&l, "steps spawn"), 6 + 4); /* after t = 0 */
    random_consistency(&l, "steps spawn");
    /* without spawn_rate: each step's users at once */
    l.spawn_rate = 0;
    T_EQ_INT(qvr_sched_step_spawn_ns(&l, 1), 0);
    T_EQ_INT(qvr_sched_step_users(&l, 1, 0, 1, 1), 7);
    T_EQ_INT(qvr_sched_duration(&l), 9 * SEC);
    T_EQ_INT(qvr_sched_users_at(&l, 3 * SEC), 7);
    T_EQ_INT(walk_changes(&l, "steps at once"), 2);
    /* steps over a payload variable: only the first step spawns */
    static const int none[] = {0, 0};
    struct qvr_load v = steps_load(2, none, 1);
    snprintf(v.vary, sizeof(v.vary), "docs");
    v.users = 4;
    T_EQ_INT(qvr_sched_step_spawn_ns(&v, 0), 3 * SEC);
    T_EQ_INT(qvr_sched_step_spawn_ns(&v, 1), 0);
    T_EQ_INT(qvr_sched_step_users(&v, 1, 0, 1, 1), 4);
    T_EQ_INT(qvr_sched_duration(&v), 9 * SEC);
}

/* The gap between arrivals: exact within the rate bounds; past them (a
 * rate that validation would refuse, or a share of one) never 0 (an
 * endless loop in the arrival callback) nor an overflowing cast (undefined
 * behaviour, seen as a hang at 1e-300 rps). */
static void test_gap_bounds(void)
{
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    T_EQ_INT(qvr_sched_gap_ns(QVR_RPS_MAX, QVR_ARRIVAL_CONSTANT, &seed), 100);
    T_EQ_INT(qvr_sched_gap_ns(QVR_RPS_MIN, QVR_ARRIVAL_CONSTANT, &seed),
             1000 * QVR_NS_PER_S);
    T_EQ_INT(qvr_sched_gap_ns(3, QVR_ARRIVAL_CONSTANT, &seed), 333333333);
    T_EQ_INT(qvr_sched_gap_ns(1e12, QVR_ARRIVAL_CONSTANT, &seed), 1);
    T_EQ_INT(qvr_sched_gap_ns(NAN, QVR_ARRIVAL_CONSTANT, &seed), 1);
    T_CHECK(qvr_sched_gap_ns(1e-300, QVR_ARRIVAL_CONSTANT, &seed) ==
            (uint64_t)1e18);
    double sum = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t g = qvr_sched_gap_ns(1e12, QVR_ARRIVAL_POISSON, &seed);
        T_CHECK(g >= 1);
        uint64_t h = qvr_sched_gap_ns(1e-300, QVR_ARRIVAL_POISSON, &seed);
        T_CHECK(h >= 1 && h <= (uint64_t)1e18);
        sum += (double)qvr_sched_gap_ns(1000, QVR_ARRIVAL_POISSON, &seed);
    }
    T_NEAR(sum / 1000, 1e6, 1e5); /* mean 1 ms, within 10% */
}

int main(void)
{
    test_gap_bounds();
    test_split();
    test_steps_spawn();
    test_users_spawn();
    test_users_fixed_points();
    test_ramp_up_hold();
    test_ramp_down();
    test_ramp_consistency();
    return T_DONE();
}
