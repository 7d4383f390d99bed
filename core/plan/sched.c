/* sched.c -- load plans as pure functions (see sched.h).
 *
 * Both questions, "how many users at t" and "when does that change next",
 * are answered from one list of change instants per stage, computed in
 * integer nanoseconds. A floating-point estimate only picks where to start
 * looking; the answer is then corrected against the exact instants, so
 * users_at and next_change can never disagree by a nanosecond (an epsilon
 * in a floor() would start a user early, or make the scheduler wake up to
 * find nothing changed). */
#include "sched.h"

#include <math.h>

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- users{count, spawn_rate} -------------------------------------------- */

static int all_at_once(const struct qvr_load *l)
{
    return !(l->spawn_rate > 0) || isinf(l->spawn_rate) || l->users <= 1;
}

/* When user k (0-based) starts: the first ns at or after k / spawn_rate s. */
static uint64_t spawn_at(const struct qvr_load *l, int k)
{
    double v = ceil((double)k * 1e9 / l->spawn_rate);
    return v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
}

/* Users started by t: 1 + the largest k < users with spawn_at(k) <= t. */
static int spawned(const struct qvr_load *l, uint64_t t)
{
    double e = floor((double)t * l->spawn_rate / 1e9);
    int k = e <= 0 ? 0 : e >= l->users - 1 ? l->users - 1 : (int)e;
    while (k + 1 < l->users && spawn_at(l, k + 1) <= t)
        k++;
    while (k > 0 && spawn_at(l, k) > t)
        k--;
    return k + 1;
}

/* ---- ramp stages --------------------------------------------------------- */

/* One linear stage from level a to level b over dur ns. Going up, the k-th
 * new user (k = 1..delta) arrives at ceil(k dur / delta); going down, the
 * k-th user leaves at floor((k-1) dur / delta) + 1, the first ns past the
 * point where the linear level drops below a - k + 1 ("rounded down" both
 * ways, so a ramp down is the time mirror of the ramp up). With
 * dur = q delta + r, k dur / delta = k q + k r / delta, and k r < delta^2
 * fits 64 bits for any int user count. */
struct stage_math {
    int up;
    uint64_t delta, q, r;
};

static struct stage_math stage_math(int a, int b, uint64_t dur)
{
    struct stage_math m;
    m.up = b > a;
    m.delta = m.up ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
    m.q = m.delta ? dur / m.delta : 0;
    m.r = m.delta ? dur % m.delta : 0;
    return m;
}

/* The offset into the stage of the k-th change (1 <= k <= delta). */
static uint64_t change_at(const struct stage_math *m, uint64_t k)
{
    if (m->up)
        return k * m->q + (k * m->r + m->delta - 1) / m->delta;
    return (k - 1) * m->q + (k - 1) * m->r / m->delta + 1;
}

/* How many changes have happened by offset x (0 <= x < dur). */
static uint64_t changes_by(const struct stage_math *m, uint64_t dur, uint64_t x)
{
    double e = (double)x * (double)m->delta / (double)dur;
    e = m->up ? floor(e) : ceil(e);
    uint64_t k = e <= 0 ? 0 : e >= (double)m->delta ? m->delta : (uint64_t)e;
    while (k < m->delta && change_at(m, k + 1) <= x)
        k++;
    while (k > 0 && change_at(m, k) > x)
        k--;
    return k;
}

static int stage_level(int a, int b, uint64_t dur, uint64_t x)
{
    if (a == b)
        return a;
    struct stage_math m = stage_math(a, b, dur);
    uint64_t k = changes_by(&m, dur, x);
    return m.up ? a + (int)k : a - (int)k;
}

/* ---- steps{users=, spawn_rate=} ------------------------------------------ */

static int step_spawns(const struct qvr_load *l)
{
    return l->kind == QVR_LOAD_STEPS && !l->open && l->spawn_rate > 0 &&
           !isinf(l->spawn_rate);
}

/* The users of step i; none before the first. */
static int step_level(const struct qvr_load *l, int i)
{
    if (i < 0 || l->open)
        return 0;
    return l->vary[0] ? l->users : l->steps[i].users;
}

/* How many users step i adds or removes when it begins. */
static uint64_t step_delta(const struct qvr_load *l, int i)
{
    int a = step_level(l, i - 1), b = step_level(l, i);
    return b > a ? (uint64_t)b - (uint64_t)a : (uint64_t)a - (uint64_t)b;
}

/* Changes of step i made by x ns into it: the k-th (k = 1..delta) comes
 * at spawn_at(k - 1), the first one at once, as users{} spawns. */
static uint64_t step_changes_by(const struct qvr_load *l, uint64_t delta,
                                uint64_t x)
{
    if (!delta)
        return 0;
    double e = floor((double)x * l->spawn_rate / 1e9);
    uint64_t k = e <= 0 ? 0 : e >= (double)delta - 1 ? delta - 1 : (uint64_t)e;
    while (k + 1 < delta && spawn_at(l, (int)(k + 1)) <= x)
        k++;
    while (k > 0 && spawn_at(l, (int)k) > x)
        k--;
    return k + 1;
}

static int share(int total, int k, int n);

int qvr_sched_step_users(const struct qvr_load *l, int i, uint64_t x, int k,
                         int n)
{
    int a = step_level(l, i - 1), b = step_level(l, i), u = b;
    if (step_spawns(l) && a != b) {
        int c = (int)step_changes_by(l, step_delta(l, i), x);
        u = b > a ? a + c : a - c;
    }
    return n > 1 ? share(u, k, n) : u;
}

uint64_t qvr_sched_step_spawn_ns(const struct qvr_load *l, int i)
{
    uint64_t d = step_spawns(l) ? step_delta(l, i) : 0;
    return d > 1 ? spawn_at(l, (int)(d - 1)) : 0;
}

uint64_t qvr_sched_step_next_change(const struct qvr_load *l, int i, uint64_t x)
{
    uint64_t d = step_spawns(l) ? step_delta(l, i) : 0;
    uint64_t c = step_changes_by(l, d, x);
    return c < d ? spawn_at(l, (int)c) : UINT64_MAX;
}

/* The length of step i: its spawning, settle and hold. */
static uint64_t step_len(const struct qvr_load *l, int i)
{
    return add_sat(qvr_sched_step_spawn_ns(l, i), l->settle_ns + l->hold_ns);
}

/* ---- exported ------------------------------------------------------------ */

/* Steps: the step a time falls in (and its start), or -1 past the end. */
static int step_at(const struct qvr_load *l, uint64_t t, uint64_t *start)
{
    uint64_t s = 0;
    for (int i = 0; i < l->nsteps; i++) {
        uint64_t e = add_sat(s, step_len(l, i));
        if (t < e) {
            *start = s;
            return i;
        }
        s = e;
    }
    return -1;
}

uint64_t qvr_sched_duration(const struct qvr_load *l)
{
    if (l->kind == QVR_LOAD_USERS || l->kind == QVR_LOAD_RATE)
        return l->duration_ns;
    if (l->kind == QVR_LOAD_STEPS) {
        uint64_t d = 0;
        for (int i = 0; i < l->nsteps; i++)
            d = add_sat(d, step_len(l, i));
        return d;
    }
    if (l->kind == QVR_LOAD_SWEEP)
        return (uint64_t)(l->rates + (l->max_rps > 0 ? 1 : 2)) *
               (l->settle_ns + l->hold_ns);
    uint64_t d = 0;
    for (int i = 0; i < l->nstages; i++)
        d = add_sat(d, l->stages[i].dur_ns);
    return d;
}

static int whole_users_at(const struct qvr_load *l, uint64_t t);

/* The k-th of n whole shares of total (remainder to the first parts). */
static int share(int total, int k, int n)
{
    return total / n + (k <= total % n ? 1 : 0);
}

int qvr_sched_users_at(const struct qvr_load *l, uint64_t t)
{
    int u = whole_users_at(l, t);
    return l->seg_n > 1 ? share(u, l->seg_k, l->seg_n) : u;
}

static int whole_users_at(const struct qvr_load *l, uint64_t t)
{
    if (l->kind == QVR_LOAD_USERS)
        return all_at_once(l) ? l->users : spawned(l, t);
    if (l->kind == QVR_LOAD_RATE || l->kind == QVR_LOAD_SWEEP)
        return 0; /* open: users follow the arrivals */
    if (l->kind == QVR_LOAD_STEPS) {
        uint64_t start = 0;
        int i = step_at(l, t, &start);
        if (i < 0)
            return step_level(l, l->nsteps - 1);
        return qvr_sched_step_users(l, i, t - start, 1, 1);
    }
    int from = 0;
    uint64_t start = 0;
    for (int i = 0; i < l->nstages; i++) {
        const struct qvr_stage *s = &l->stages[i];
        uint64_t end = add_sat(start, s->dur_ns);
        if (t < end)
            return stage_level(from, s->users, s->dur_ns, t - start);
        start = end;
        from = s->users;
    }
    return from;
}

static int whole_max_users(const struct qvr_load *l);

int qvr_sched_max_users(const struct qvr_load *l)
{
    int u = whole_max_users(l);
    return l->seg_n > 1 ? share(u, l->seg_k, l->seg_n) : u;
}

static int whole_max_users(const struct qvr_load *l)
{
    if (l->kind == QVR_LOAD_USERS)
        return l->users;
    if (l->kind == QVR_LOAD_RATE || l->kind == QVR_LOAD_SWEEP ||
        (l->kind == QVR_LOAD_STEPS && l->open))
        return l->max_users;
    if (l->kind == QVR_LOAD_STEPS) {
        int m = l->vary[0] ? l->users : 0;
        for (int i = 0; i < l->nsteps; i++)
            if (l->steps[i].users > m)
                m = l->steps[i].users;
        return m;
    }
    int m = 0;
    for (int i = 0; i < l->nstages; i++)
        if (l->stages[i].users > m)
            m = l->stages[i].users;
    return m;
}

uint64_t qvr_sched_next_change(const struct qvr_load *l, uint64_t t)
{
    if (l->kind == QVR_LOAD_RATE || l->kind == QVR_LOAD_SWEEP)
        return UINT64_MAX;
    if (l->kind == QVR_LOAD_STEPS) {
        uint64_t start = 0;
        int i = step_at(l, t, &start);
        if (i < 0 || l->open)
            return UINT64_MAX;
        uint64_t c = qvr_sched_step_next_change(l, i, t - start);
        if (c != UINT64_MAX)
            return start + c;
        /* the next step that changes the level, from its start */
        for (uint64_t s = add_sat(start, step_len(l, i)); ++i < l->nsteps;
             s = add_sat(s, step_len(l, i)))
            if (step_level(l, i) != step_level(l, i - 1))
                return s;
        return UINT64_MAX;
    }
    if (l->kind == QVR_LOAD_USERS) {
        if (all_at_once(l))
            return UINT64_MAX;
        int n = spawned(l, t);
        return n >= l->users ? UINT64_MAX : spawn_at(l, n);
    }
    /* The stage holding t: its next change inside the stage, else its end
     * if the level differs there; past an unchanged end the following
     * stages are searched from their start the same way. */
    int now = whole_users_at(l, t);
    int from = 0;
    uint64_t start = 0;
    for (int i = 0; i < l->nstages; i++) {
        const struct qvr_stage *s = &l->stages[i];
        uint64_t end = add_sat(start, s->dur_ns);
        if (t < end) {
            if (s->users != from) {
                struct stage_math m = stage_math(from, s->users, s->dur_ns);
                uint64_t x = t > start ? t - start : 0;
                uint64_t k = changes_by(&m, s->dur_ns, x);
                if (k < m.delta) {
                    uint64_t c = change_at(&m, k + 1);
                    if (c < s->dur_ns)
                        return start + c;
                }
            }
            if (end != UINT64_MAX && whole_users_at(l, end) != now)
                return end;
        }
        start = end;
        from = s->users;
    }
    return UINT64_MAX;
}

/* ns as a gap: 1 ns to 1e18 ns (NaN: 1 ns), never an overflowing cast. */
static uint64_t gap_clamp(double ns)
{
    if (!(ns >= 1.0))
        return 1;
    return ns > 1e18 ? (uint64_t)1e18 : (uint64_t)ns;
}

uint64_t qvr_sched_gap_ns(double rps, enum qvr_arrival a, uint64_t *rng)
{
    double mean = 1e9 / rps;
    if (a == QVR_ARRIVAL_CONSTANT)
        return gap_clamp(mean + 0.5);
    uint64_t x = *rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    /* u in (0, 1]: never log(0) */
    double u = ((double)((x * 0x2545F4914F6CDD1DULL) >> 11) + 1.0) * 0x1.0p-53;
    return gap_clamp(-log(u) * mean + 0.5);
}

void qvr_sched_split(struct qvr_load *l, int k, int n)
{
    if (n <= 1)
        return;
    if (l->kind == QVR_LOAD_USERS || l->kind == QVR_LOAD_RAMP) {
        l->seg_k = k;
        l->seg_n = n;
        return;
    }
    double whole_rps = l->rps;
    l->rps /= n;
    l->max_rps /= n;
    if (whole_rps > 0)
        l->arrival_offset_ns = (uint64_t)((k - 1) * 1e9 / whole_rps);
    if (l->max_users) {
        int m = share(l->max_users, k, n);
        l->max_users = m > 0 ? m : 1;
    }
    l->users = share(l->users, k, n);
    for (int i = 0; i < l->nsteps; i++) {
        l->steps[i].users = share(l->steps[i].users, k, n);
        l->steps[i].rps /= n;
    }
}

uint64_t qvr_sched_full_ns(const struct qvr_load *l)
{
    int max = qvr_sched_max_users(l);
    uint64_t t = 0;
    /* each step moves to the next change; bounded for safety */
    for (int guard = 0; guard < 10000000; guard++) {
        if (qvr_sched_users_at(l, t) >= max)
            break;
        uint64_t n = qvr_sched_next_change(l, t);
        if (n == UINT64_MAX)
            break;
        t = n;
    }
    return t;
}
