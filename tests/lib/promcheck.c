/* The Prometheus text format, checked independently of the code that writes it. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promcheck.h"

#define MAX_FAMILIES 256
#define MAX_SERIES   4096

struct state {
	char families[MAX_FAMILIES][128];
	bool has_type[MAX_FAMILIES], has_help[MAX_FAMILIES], has_samples[MAX_FAMILIES];
	int n_families;
	char *series[MAX_SERIES];
	int n_series;
};

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* Length of a valid metric name at s, or 0. */
static size_t metric_name(const char *s)
{
	size_t i = 0;

	while (s[i] && name_char(s[i], i == 0))
		i++;
	return i;
}

static int family_index(struct state *st, const char *name, size_t len, bool add)
{
	int i;

	for (i = 0; i < st->n_families; i++)
		if (strlen(st->families[i]) == len && strncmp(st->families[i], name, len) == 0)
			return i;
	if (!add || st->n_families == MAX_FAMILIES || len >= sizeof(st->families[0]))
		return -1;
	snprintf(st->families[st->n_families], sizeof(st->families[0]), "%.*s", (int)len, name);
	return st->n_families++;
}

static const char *comment(struct state *st, const char *line)
{
	bool help = strncmp(line, "# HELP ", 7) == 0, type = strncmp(line, "# TYPE ", 7) == 0;
	const char *name = line + 7, *rest;
	size_t len;
	int f;

	if (!help && !type)
		return NULL;
	len = metric_name(name);
	if (!len || name[len] != ' ')
		return "bad metric name in HELP or TYPE";
	f = family_index(st, name, len, true);
	if (f < 0)
		return "too many families";
	if (st->has_samples[f])
		return "HELP or TYPE after the family's samples";
	rest = name + len + 1;
	if (help) {
		if (st->has_help[f])
			return "HELP twice";
		st->has_help[f] = true;
		return NULL;
	}
	if (st->has_type[f])
		return "TYPE twice";
	if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram") &&
	    strcmp(rest, "summary") && strcmp(rest, "untyped"))
		return "unknown TYPE";
	st->has_type[f] = true;
	return NULL;
}

/* Skips {name="value",...} at *p, checking names and escapes. */
static const char *labels(const char **p)
{
	const char *s = *p + 1;

	while (*s && *s != '}') {
		size_t n = 0;

		while (s[n] && (isalnum((unsigned char)s[n]) || s[n] == '_'))
			n++;
		if (!n || isdigit((unsigned char)s[0]) || s[n] != '=' || s[n + 1] != '"')
			return "bad label";
		s += n + 2;
		while (*s && *s != '"') {
			if (*s == '\\') {
				if (s[1] != '\\' && s[1] != '"' && s[1] != 'n')
					return "bad escape in a label value";
				s++;
			}
			s++;
		}
		if (*s != '"')
			return "unterminated label value";
		s++;
		if (*s == ',')
			s++;
	}
	if (*s != '}')
		return "unterminated labels";
	*p = s + 1;
	return NULL;
}

static bool number(const char *s)
{
	char *end;

	if (!strcmp(s, "NaN") || !strcmp(s, "+Inf") || !strcmp(s, "-Inf"))
		return true;
	strtod(s, &end);
	return end != s && (*end == '\0' || *end == ' ');
}

static const char *sample(struct state *st, const char *line)
{
	size_t len = metric_name(line);
	const char *p = line + len, *err;
	int f, i;

	if (!len)
		return "bad metric name";
	f = family_index(st, line, len, false);
	if (f < 0 || !st->has_type[f])
		return "sample without a TYPE line before it";
	st->has_samples[f] = true;
	if (*p == '{' && (err = labels(&p)))
		return err;
	if (*p != ' ' || !number(p + 1))
		return "bad value";
	for (i = 0; i < st->n_series; i++)
		if (strncmp(st->series[i], line, (size_t)(p - line)) == 0 &&
		    st->series[i][p - line] == '\0')
			return "the same series twice";
	if (st->n_series < MAX_SERIES)
		st->series[st->n_series++] = strndup(line, (size_t)(p - line));
	return NULL;
}

int promcheck(const char *text, char *why, size_t why_len)
{
	struct state *st = calloc(1, sizeof(*st));
	const char *line = text, *err = NULL;
	int n = 0, i;

	if (!*text || text[strlen(text) - 1] != '\n')
		err = "the file does not end with a newline";
	while (!err && *line) {
		const char *end = strchr(line, '\n');
		char *copy = strndup(line, (size_t)(end - line));

		n++;
		if (copy[0] == '#')
			err = comment(st, copy);
		else if (copy[0])
			err = sample(st, copy);
		free(copy);
		line = end + 1;
	}
	for (i = 0; i < st->n_series; i++)
		free(st->series[i]);
	free(st);
	if (err)
		snprintf(why, why_len, "%s", err);
	return err ? (n ? n : 1) : 0;
}

int promcheck_value(const char *text, const char *series, double *out)
{
	size_t len = strlen(series);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, series, len) == 0 && p[len] == ' ') {
			*out = strtod(p + len + 1, NULL);
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}
