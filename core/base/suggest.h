/* suggest.h -- "did you mean": one edit distance for every message that
 * offers the nearest known name (DSL keys, http options, threshold
 * metrics, tag values seen). Pure. */
#ifndef QVR_SUGGEST_H
#define QVR_SUGGEST_H

#include <stddef.h>

/* Longest prefix of a word that is compared; the rest is ignored (enough to
 * tell a typo from another name). */
#define QVR_SUGGEST_LEN 63

/* Farthest a suggestion may be from the word. */
#define QVR_SUGGEST_MAX 2

/* Optimal string alignment distance between a and b (insertions,
 * deletions, substitutions and swaps of two adjacent characters each cost
 * 1), ignoring ASCII case, over their first QVR_SUGGEST_LEN bytes. */
int qvr_suggest_distance(const char *a, const char *b);

/* The candidate nearest to word: n candidates, or, when n < 0, candidates
 * up to a NULL entry. Writes it to *best (NULL when there is none; ties go
 * to the first) and returns its distance (-1 when there is none). */
int qvr_suggest_nearest(const char *word, const char *const *cands, int n,
                        const char **best);

/* The suggestion for word among cands (as qvr_suggest_nearest), or NULL:
 * the nearest candidate when it is at most QVR_SUGGEST_MAX away and nearer
 * than the word is long (so "x" does not suggest "max"). */
const char *qvr_suggest(const char *word, const char *const *cands, int n);

#endif
