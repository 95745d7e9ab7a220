/* A checker of the Prometheus text exposition format, line by line, for the tests. */
#ifndef AMZ_PROMCHECK_H
#define AMZ_PROMCHECK_H

#include <stddef.h>

/* Returns 0 when TEXT is valid exposition format, else the 1-based line of the first problem,
 * with the problem in why. Checks: HELP and TYPE at most once per family and before its
 * samples; known types; metric and label names; escaped label values; numeric values; no
 * series twice; a final newline. */
int promcheck(const char *text, char *why, size_t why_len);

/* The value of the series NAME{LABELS} (LABELS as written, "" for none); 0 if absent. */
int promcheck_value(const char *text, const char *series, double *out);

#endif
