/* Values with their provenance, and the small parsers detection shares: setters that record
 * where a value came from, notes on what was ignored, and the lowest-over-levels accumulator. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

char *host_strdup(struct host_ctx *d, const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		d->oom = true;
	return p;
}

void host_val_clear(struct host_value *v)
{
	free(v->source);
	free(v->why);
	memset(v, 0, sizeof(*v));
	v->level = -1;
}

void host_val_set(struct host_ctx *d, struct host_value *v, long long n, const char *source,
		  int level)
{
	host_val_clear(v);
	v->state = HOST_SET;
	v->n = n;
	v->x = (double)n;
	v->source = host_strdup(d, source);
	v->level = level;
}

void host_val_setx(struct host_ctx *d, struct host_value *v, double x, const char *source,
		   int level)
{
	host_val_clear(v);
	v->state = HOST_SET;
	v->x = x;
	v->source = host_strdup(d, source);
	v->level = level;
}

void host_val_why(struct host_ctx *d, struct host_value *v, enum host_state state,
		  const char *source, int level, const char *fmt, ...)
{
	va_list ap;

	host_val_clear(v);
	v->state = state;
	v->source = host_strdup(d, source);
	v->level = level;
	va_start(ap, fmt);
	if (vasprintf(&v->why, fmt, ap) < 0) {
		v->why = NULL;
		d->oom = true;
	}
	va_end(ap);
}

int host_val_copy(struct host_value *dst, const struct host_value *src)
{
	host_val_clear(dst);
	*dst = *src;
	dst->source = src->source ? strdup(src->source) : NULL;
	dst->why = src->why ? strdup(src->why) : NULL;
	if ((src->source && !dst->source) || (src->why && !dst->why))
		return -1;
	return 0;
}

void host_note(struct host_ctx *d, const char *what, const char *source, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0 || cgroup_note_add(&d->h->ignored, what, source, "%s", msg) < 0)
		d->oom = true;
	if (r >= 0)
		free(msg);
}

int host_parse_ll(const char *text, long long *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*text))
		text++;
	if (!*text)
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

const char *host_quote(const char *text, char *buf, size_t len)
{
	size_t n = strcspn(text, "\n"), max = len > 4 ? len - 4 : 0;

	if (n > max)
		snprintf(buf, len, "%.*s...", (int)max, text);
	else
		snprintf(buf, len, "%.*s", (int)n, text);
	return buf;
}

char *host_join(struct host_ctx *d, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *p = NULL;

	if (asprintf(&p, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0) {
		d->oom = true;
		return NULL;
	}
	return p;
}

int host_stat_value(const char *text, const char *key, long long *out)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			char num[32];
			size_t len = strcspn(p + n + 1, "\n");

			if (len >= sizeof(num))
				return -1;
			memcpy(num, p + n + 1, len);
			num[len] = '\0';
			return host_parse_ll(num, out);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

void host_lowest_offer(struct host_ctx *d, struct host_lowest *l, double x, long long n,
		       const char *source, int level)
{
	if (l->have && x >= l->x)
		return;
	free(l->source);
	l->have = true;
	l->x = x;
	l->n = n;
	l->source = host_strdup(d, source);
	l->level = level;
}

void host_lowest_bad(struct host_ctx *d, struct host_lowest *l, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		d->oom = true;
		return;
	}
	if (l->bad)
		free(msg);
	else
		l->bad = msg;
}

void host_lowest_finish(struct host_ctx *d, struct host_lowest *l, struct host_value *v,
			const char *none_why)
{
	if (l->have) {
		host_val_setx(d, v, l->x, l->source, l->level);
		v->n = l->n;
	} else if (l->bad) {
		host_val_why(d, v, HOST_UNKNOWN, NULL, -1, "%s", l->bad);
	} else {
		host_val_why(d, v, HOST_NO_LIMIT, NULL, -1, "%s", none_why);
	}
	if (l->have && l->bad)
		host_note(d, "a limit on the way up", NULL,
			  "%s; the lowest of the other levels is used", l->bad);
	free(l->source);
	free(l->bad);
	memset(l, 0, sizeof(*l));
}
