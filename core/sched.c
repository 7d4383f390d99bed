/* sched.c -- load plans as pure functions (see sched.h). */
#include "sched.h"

#include <math.h>

uint64_t qvr_sched_duration(const struct qvr_load *l)
{
    if (l->kind == QVR_LOAD_USERS)
        return l->duration_ns;
    uint64_t d = 0;
    for (int i = 0; i < l->nstages; i++)
        d += l->stages[i].dur_ns;
    return d;
}

int qvr_sched_users_at(const struct qvr_load *l, uint64_t t)
{
    if (l->kind == QVR_LOAD_USERS) {
        if (l->spawn_rate <= 0)
            return l->users;
        double started = floor((double)t * 1e-9 * l->spawn_rate + 1e-9) + 1;
        return started >= l->users ? l->users : (int)started;
    }
    int from = 0;
    uint64_t start = 0;
    for (int i = 0; i < l->nstages; i++) {
        const struct qvr_stage *s = &l->stages[i];
        if (t < start + s->dur_ns) {
            double f = (double)(t - start) / (double)s->dur_ns;
            return from + (int)floor((s->users - from) * f + 1e-9);
        }
        start += s->dur_ns;
        from = s->users;
    }
    return from;
}

int qvr_sched_max_users(const struct qvr_load *l)
{
    if (l->kind == QVR_LOAD_USERS)
        return l->users;
    int m = 0;
    for (int i = 0; i < l->nstages; i++)
        if (l->stages[i].users > m)
            m = l->stages[i].users;
    return m;
}

uint64_t qvr_sched_next_change(const struct qvr_load *l, uint64_t t)
{
    if (l->kind == QVR_LOAD_USERS) {
        if (l->spawn_rate <= 0 || qvr_sched_users_at(l, t) >= l->users)
            return UINT64_MAX;
        double k = floor((double)t * 1e-9 * l->spawn_rate + 1e-9) + 1;
        uint64_t next = (uint64_t)ceil(k / l->spawn_rate * 1e9);
        return next > t ? next : t + 1;
    }
    /* Ramps: walk the stage holding t; within a linear stage the count
     * changes every dur/|delta| ns. */
    int from = 0;
    uint64_t start = 0;
    int now = qvr_sched_users_at(l, t);
    for (int i = 0; i < l->nstages; i++) {
        const struct qvr_stage *s = &l->stages[i];
        uint64_t end = start + s->dur_ns;
        if (t < end && s->users != from) {
            int delta = s->users > from ? s->users - from : from - s->users;
            double step = (double)s->dur_ns / delta;
            uint64_t k = (uint64_t)floor((double)(t - start) / step) + 1;
            for (; k <= (uint64_t)delta; k++) {
                uint64_t c = start + (uint64_t)ceil(k * step);
                if (c > t && qvr_sched_users_at(l, c) != now)
                    return c;
            }
        }
        if (t < end && qvr_sched_users_at(l, end) != now)
            return end;
        start = end;
        from = s->users;
    }
    return UINT64_MAX;
}
