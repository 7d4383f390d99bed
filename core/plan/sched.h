/* sched.h -- the load plan as pure functions of time: how many users
 * should be running t ns after the start, and when that number changes
 * next. No clock, no I/O: unit-tested in isolation. */
#ifndef QVR_SCHED_H
#define QVR_SCHED_H

#include <stdint.h>

enum qvr_load_kind {
    QVR_LOAD_USERS, /* users{count, spawn_rate, duration} */
    QVR_LOAD_RAMP,  /* ramp{ {users=, over=}, {hold=}, ... } */
    QVR_LOAD_RATE,  /* rate{rps, duration, max_users, arrival}: open */
    QVR_LOAD_STEPS, /* steps{users=|rps=|vary=, hold, settle} */
    QVR_LOAD_SWEEP, /* sweep{max_rps, rates, hold, slo} */
    QVR_LOAD_EVERY  /* every{interval, window}: monitor probes */
};

enum qvr_arrival { QVR_ARRIVAL_CONSTANT, QVR_ARRIVAL_POISSON };

#define QVR_MAX_STEPS 64

/* Bounds of an arrival rate in requests per second, for --rate and every
 * rps of rate{}, steps{} and sweep{}: a gap of 1000 s to 100 ns (a rate
 * past them would overflow the gap or start work in an endless C loop). */
#define QVR_RPS_MIN 0.001
#define QVR_RPS_MAX 1e7

/* One step of a steps{} load: users (closed), a rate (open), or a value of
 * the varied payload variable (closed, with the plan's users). */
struct qvr_step {
    int users;
    double rps;
    double vary;
};

struct qvr_stage {
    uint64_t dur_ns; /* length of the stage */
    int users;       /* users at its end (linear from the previous level) */
};

#define QVR_MAX_STAGES 64

struct qvr_load {
    enum qvr_load_kind kind;
    int users;            /* USERS: the count */
    double spawn_rate;    /* USERS, closed STEPS: users started (or, for
                             a step down, stopped) per second; 0 = all */
    uint64_t duration_ns; /* USERS: run length */
    int nstages;          /* RAMP */
    struct qvr_stage stages[QVR_MAX_STAGES];
    double rps;               /* RATE */
    int max_users;            /* RATE, open STEPS, SWEEP: the user pool */
    enum qvr_arrival arrival; /* RATE, open STEPS, SWEEP */
    int nsteps;               /* STEPS */
    struct qvr_step steps[QVR_MAX_STEPS];
    int open;                   /* STEPS over rps */
    char vary[32];              /* STEPS over a payload variable: its name */
    uint64_t hold_ns;           /* STEPS, SWEEP: measured part of a step */
    uint64_t settle_ns;         /* STEPS, SWEEP: unmeasured start of a step */
    double max_rps;             /* SWEEP: 0 = find it with a saturation run */
    int rates;                  /* SWEEP: rates between baseline and max */
    int stop_on_saturation;     /* stop_on = "saturation" */
    int seg_k, seg_n;           /* USERS, RAMP split by qvr_sched_split: this
                                   part runs share(k, n) of the plan's users at
                                   every instant (0: whole) */
    uint64_t arrival_offset_ns; /* RATE split: this part's first arrival */
    uint64_t interval_ns;       /* EVERY: one probe per interval */
    int window;                 /* EVERY: rolling window, in probes */
};

/* When the plan first runs its most users (ns after the start): where the
 * steady phase that trends are fitted over begins. 0 for open loads. */
uint64_t qvr_sched_full_ns(const struct qvr_load *l);

/* Turns l into the k-th (1-based) of n equal parts of the load. For
 * users{} and ramp{} the part runs, at every instant, its whole-number
 * share of the plan's users (remainders to the first parts), so the parts
 * add up to the plan exactly at all times; step users and user pools are
 * shared the same way; arrival rates are divided by n, and part k's first
 * arrival is offset by (k-1) gaps so that constant arrivals interleave. */
void qvr_sched_split(struct qvr_load *l, int k, int n);

/* The gap to the next arrival at rps: exactly 1/rps for constant arrivals,
 * exponentially distributed with that mean for Poisson ones (drawn from the
 * xorshift state *rng). Never 0, never past 1e18 ns, whatever rps is (a
 * rate within QVR_RPS_MIN..QVR_RPS_MAX, or a share of one, is not
 * clamped). */
uint64_t qvr_sched_gap_ns(double rps, enum qvr_arrival a, uint64_t *rng);

/* Total planned length of the load in ns (steps: each step's spawning,
 * settle and hold). */
uint64_t qvr_sched_duration(const struct qvr_load *l);

/* Users that should be running at t ns after the start (t past the end
 * gives the last level). USERS: user k (0-based) starts at k / spawn_rate.
 * RAMP: linear interpolation within a stage, rounded down. */
int qvr_sched_users_at(const struct qvr_load *l, uint64_t t);

/* Closed steps with spawn_rate: the users of step i (0-based) x ns after
 * the step began. They move from the step before's users (none before the
 * first) to step i's one at a time, the first change at once and the k-th
 * at (k-1) / spawn_rate s, as users{} spawns; without spawn_rate, step i's
 * users at once. l is the whole plan; with n > 1 the result is part k's
 * share of it (as qvr_sched_split shares step users). */
int qvr_sched_step_users(const struct qvr_load *l, int i, uint64_t x, int k,
                         int n);

/* When step i's last such change happens, ns after it began (0: at once);
 * the step's settle, then its hold, start there. */
uint64_t qvr_sched_step_spawn_ns(const struct qvr_load *l, int i);

/* The first x' > x at which the whole plan's users of step i change, or
 * UINT64_MAX (a part's share may stay the same there). */
uint64_t qvr_sched_step_next_change(const struct qvr_load *l, int i,
                                    uint64_t x);

/* The largest user count the plan ever asks for. */
int qvr_sched_max_users(const struct qvr_load *l);

/* The first time > t at which qvr_sched_users_at changes, or UINT64_MAX if
 * it never changes again. */
uint64_t qvr_sched_next_change(const struct qvr_load *l, uint64_t t);

#endif
