/* suggest.c -- edit distance and "did you mean". */
#include "suggest.h"

#include <ctype.h>
#include <string.h>

int qvr_suggest_distance(const char *a, const char *b)
{
    enum { N = QVR_SUGGEST_LEN + 1 };
    int d[N][N];
    size_t la = strnlen(a, QVR_SUGGEST_LEN), lb = strnlen(b, QVR_SUGGEST_LEN);

    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int ca = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int cb = tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (ca != cb); /* substitute */
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1; /* delete */
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1; /* insert */
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1; /* swap two neighbours */
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

int qvr_suggest_nearest(const char *word, const char *const *cands, int n,
                        const char **best)
{
    int bd = -1;
    *best = NULL;
    for (int i = 0; n < 0 ? cands[i] != NULL : i < n; i++) {
        int d = qvr_suggest_distance(word, cands[i]);
        if (bd < 0 || d < bd) {
            bd = d;
            *best = cands[i];
        }
    }
    return bd;
}

const char *qvr_suggest(const char *word, const char *const *cands, int n)
{
    const char *best;
    int d = qvr_suggest_nearest(word, cands, n, &best);
    if (d < 0 || d > QVR_SUGGEST_MAX || (size_t)d >= strlen(word))
        return NULL;
    return best;
}
