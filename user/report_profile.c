/* Rendering saved profiles: a generic walk of the JSON document that formats each number in
 * the unit its key names, so that every section reads the same way. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "report_profile.h"

/* Envelope fields shown in the heading, not in the body. */
static const char *const envelope[] = {"schema",  "kind",	  "name",
				       "created", "created_unix", "amzprof_version"};

static bool is_envelope(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(envelope); i++)
		if (strcmp(key, envelope[i]) == 0)
			return true;
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The unit of the innermost key of the path that names one; "count" is always a count. */
static const char *unit_of(const char *key_path)
{
	const char *last = strrchr(key_path, '.');
	const char *p = key_path, *unit = "";
	char part[128];

	if (strcmp(last ? last + 1 : key_path, "count") == 0)
		return "";
	while (*p) {
		size_t n = strcspn(p, ".");

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (ends_with(part, "_ns_per_byte"))
			unit = "ns/B";
		else if (ends_with(part, "_ns"))
			unit = "ns";
		else if (ends_with(part, "_bytes") || strcmp(part, "memory") == 0)
			unit = "B";
		p += n;
		if (*p == '.')
			p++;
	}
	return unit;
}

static void print_duration(FILE *f, double ns)
{
	if (fabs(ns) >= 1e9)
		fprintf(f, "%.3f s", ns / 1e9);
	else if (fabs(ns) >= 1e6)
		fprintf(f, "%.3f ms", ns / 1e6);
	else if (fabs(ns) >= 1e3)
		fprintf(f, "%.1f us", ns / 1e3);
	else
		fprintf(f, "%.0f ns", ns);
}

static void print_size(FILE *f, double b)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t i = 0;

	while (fabs(b) >= 1024 && i + 1 < ARRAY_SIZE(units)) {
		b /= 1024;
		i++;
	}
	fprintf(f, i ? "%.1f %s" : "%.0f %s", b, units[i]);
}

void report_value(FILE *f, const char *key_path, double v)
{
	const char *unit = unit_of(key_path);

	if (strcmp(unit, "ns") == 0)
		print_duration(f, v);
	else if (strcmp(unit, "B") == 0)
		print_size(f, v);
	else if (strcmp(unit, "ns/B") == 0)
		fprintf(f, "%.3g ns/B", v);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.4g", v);
}

static bool is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static void print_leaf(FILE *f, const char *path, json_object *v)
{
	if (!v)
		fputs("unknown", f);
	else if (is_number(v))
		report_value(f, path, json_object_get_double(v));
	else if (json_object_is_type(v, json_type_boolean))
		fputs(json_object_get_boolean(v) ? "yes" : "no", f);
	else
		fputs(json_object_get_string(v), f);
}

static void walk(FILE *f, const char *path, const char *key, json_object *v, int depth);

static void walk_array(FILE *f, const char *path, json_object *v, int depth)
{
	size_t i, n = json_object_array_length(v);
	char sub[512];

	for (i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		char key[32];

		snprintf(key, sizeof(key), "[%zu]", i);
		snprintf(sub, sizeof(sub), "%s", path);
		walk(f, sub, key, item, depth);
	}
}

static void walk(FILE *f, const char *path, const char *key, json_object *v, int depth)
{
	char sub[512];

	snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
	if (v && json_object_is_type(v, json_type_object)) {
		fprintf(f, "%*s%s\n", depth * 2, "", key);
		json_object_object_foreach(v, k, child) walk(f, sub, k, child, depth + 1);
		return;
	}
	if (v && json_object_is_type(v, json_type_array)) {
		fprintf(f, "%*s%s (%zu)\n", depth * 2, "", key, json_object_array_length(v));
		walk_array(f, sub, v, depth + 1);
		return;
	}
	fprintf(f, "%*s%-*s ", depth * 2, "", 28 - depth * 2 > 8 ? 28 - depth * 2 : 8, key);
	print_leaf(f, sub, v);
	fputc('\n', f);
}

static const char *string_field(json_object *doc, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(doc, key, &v) || !json_object_is_type(v, json_type_string))
		return "?";
	return json_object_get_string(v);
}

void report_profile_text(FILE *f, const char *path, json_object *doc)
{
	fprintf(f, "profile '%s' (%s), created %s by amzprof %s\n  %s\n\n",
		string_field(doc, "name"), string_field(doc, "kind"), string_field(doc, "created"),
		string_field(doc, "amzprof_version"), path);

	json_object_object_foreach(doc, key, v)
	{
		if (!is_envelope(key))
			walk(f, "", key, v, 0);
	}
}

void report_profile_list(FILE *f, const struct profile_entry *list, size_t n)
{
	size_t i;

	if (!n) {
		fputs("no saved profiles\n", f);
		return;
	}
	fprintf(f, "%-24s %-9s %s\n", "NAME", "KIND", "CREATED");
	for (i = 0; i < n; i++) {
		char when[32];
		struct tm tm;

		if (list[i].damaged) {
			fprintf(f, "%-24s %-9s %s\n", list[i].name, "damaged", list[i].problem);
			continue;
		}
		gmtime_r(&list[i].created, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		fprintf(f, "%-24s %-9s %s\n", list[i].name, profile_kind_name(list[i].kind), when);
	}
}

struct diff_ctx {
	FILE *f;
	int rows;
};

static void format_leaf(char *buf, size_t len, const char *path, json_object *v)
{
	FILE *m = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (!m)
		return;
	print_leaf(m, path, v);
	fclose(m);
}

static void diff_row(struct diff_ctx *d, const char *path, json_object *a, json_object *b)
{
	char va[64], vb[64];

	if (a && b && !is_number(a) && !is_number(b) &&
	    strcmp(json_object_get_string(a), json_object_get_string(b)) == 0)
		return;
	if (!is_number(a) && !is_number(b) &&
	    (json_object_is_type(a, json_type_object) || json_object_is_type(b, json_type_object)))
		return;

	format_leaf(va, sizeof(va), path, a);
	format_leaf(vb, sizeof(vb), path, b);
	fprintf(d->f, "%-40s %14s %14s", path, va, vb);
	if (is_number(a) && is_number(b) && json_object_get_double(a) != 0)
		fprintf(d->f, " %8.3g", json_object_get_double(b) / json_object_get_double(a));
	fputc('\n', d->f);
	d->rows++;
}

static void diff_walk(struct diff_ctx *d, const char *path, json_object *a, json_object *b);

static void diff_children(struct diff_ctx *d, const char *path, json_object *a, json_object *b)
{
	char sub[512];

	if (json_object_is_type(a, json_type_object)) {
		json_object_object_foreach(a, k, va)
		{
			json_object *vb = NULL;

			if (!*path && is_envelope(k))
				continue;
			if (b && json_object_is_type(b, json_type_object))
				json_object_object_get_ex(b, k, &vb);
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
			diff_walk(d, sub, va, vb);
		}
	}
	if (json_object_is_type(b, json_type_object)) {
		json_object_object_foreach(b, k, vb)
		{
			if ((!*path && is_envelope(k)) ||
			    (json_object_is_type(a, json_type_object) &&
			     json_object_object_get_ex(a, k, NULL)))
				continue;
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", k);
			diff_walk(d, sub, NULL, vb);
		}
	}
}

static void diff_walk(struct diff_ctx *d, const char *path, json_object *a, json_object *b)
{
	if (json_object_is_type(a, json_type_object) || json_object_is_type(b, json_type_object)) {
		diff_children(d, path, a, b);
		return;
	}
	/* Arrays (histogram buckets, task lists) are compared through their summaries. */
	if (json_object_is_type(a, json_type_array) || json_object_is_type(b, json_type_array))
		return;
	diff_row(d, path, a, b);
}

void report_profile_diff(FILE *f, const char *name_a, json_object *a, const char *name_b,
			 json_object *b)
{
	struct diff_ctx d = {.f = f, .rows = 0};

	fprintf(f, "A: '%s' (%s, %s)\nB: '%s' (%s, %s)\n\n", name_a, string_field(a, "kind"),
		string_field(a, "created"), name_b, string_field(b, "kind"),
		string_field(b, "created"));
	fprintf(f, "%-40s %14s %14s %8s\n", "", "A", "B", "B/A");
	diff_walk(&d, "", a, b);
	if (!d.rows)
		fputs("no differences\n", f);
}
