/* The workload profile document: command, hints, trace and completeness, to JSON and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "workload.h"

static json_object *hints_json(const struct workload_hints *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "items", h->items > 0 ? json_object_new_double(h->items) : NULL);
	json_object_object_add(o, "jobs", h->jobs > 0 ? json_object_new_double(h->jobs) : NULL);
	json_object_object_add(o, "chunksize",
			       h->chunksize > 0 ? json_object_new_double(h->chunksize) : NULL);
	return o;
}

json_object *workload_to_json(const char *name, const struct workload_run *w)
{
	json_object *doc = profile_new(PROFILE_WORKLOAD, name), *cmd = json_object_new_array();
	int i;

	for (i = 0; w->argv && w->argv[i]; i++)
		json_object_array_add(cmd, json_object_new_string(w->argv[i]));
	json_object_object_add(doc, "command", cmd);
	json_object_object_add(doc, "attached_pid", json_object_new_int(w->attached_pid));
	json_object_object_add(doc, "complete", json_object_new_boolean(w->complete));
	json_object_object_add(doc, "fingerprint", json_object_new_string(w->fingerprint));
	json_object_object_add(doc, "hints", hints_json(&w->hints));
	json_object_object_add(doc, "trace", trace_to_json(w->trace));
	return doc;
}

int workload_check_hints(const struct workload_hints *h, struct amz_err *err)
{
	if (h->items < 0 || h->items > 1e15)
		return amz_fail(err, ERANGE, "--items must be between 1 and 1e15");
	if (h->jobs < 0 || h->jobs > 1e6)
		return amz_fail(err, ERANGE, "--jobs must be between 1 and 1000000");
	if (h->chunksize < 0 || h->chunksize > 1e15)
		return amz_fail(err, ERANGE, "--chunksize must be between 1 and 1e15");
	if (h->items && h->chunksize > h->items)
		return amz_fail(err, ERANGE, "--chunksize %.0f is larger than --items %.0f",
				h->chunksize, h->items);
	return 0;
}

static int hint_from_json(json_object *o, const char *key, double *out, struct amz_err *err)
{
	json_object *v = NULL;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return profile_get_number(o, key, 1, 1e15, out, err);
}

static int command_from_json(json_object *cmd, struct workload_run *w, struct amz_err *err)
{
	size_t i, n;

	if (!cmd || !json_object_is_type(cmd, json_type_array))
		return amz_fail(err, EINVAL, "command is missing");
	n = json_object_array_length(cmd);
	w->argv = calloc(n + 1, sizeof(*w->argv));
	if (!w->argv)
		return amz_fail(err, ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(cmd, i);

		if (!json_object_is_type(a, json_type_string))
			return amz_fail(err, EINVAL, "command holds a non-string argument");
		w->argv[i] = strdup(json_object_get_string(a));
		if (!w->argv[i])
			return amz_fail(err, ENOMEM, "out of memory");
	}
	w->argc = (int)n;
	return 0;
}

static int load_run(json_object *doc, struct workload_run *w, struct amz_err *err)
{
	json_object *v = NULL, *hints = NULL;

	w->owned = true;
	w->trace = calloc(1, sizeof(*w->trace));
	if (!w->trace)
		return amz_fail(err, ENOMEM, "out of memory");
	json_object_object_get_ex(doc, "command", &v);
	if (command_from_json(v, w, err) < 0)
		return -1;
	if (json_object_object_get_ex(doc, "attached_pid", &v))
		w->attached_pid = (pid_t)json_object_get_int(v);
	w->complete = json_object_object_get_ex(doc, "complete", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(doc, "fingerprint", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(w->fingerprint, sizeof(w->fingerprint), "%s", json_object_get_string(v));

	json_object_object_get_ex(doc, "hints", &hints);
	if (hint_from_json(hints, "items", &w->hints.items, err) < 0 ||
	    hint_from_json(hints, "jobs", &w->hints.jobs, err) < 0 ||
	    hint_from_json(hints, "chunksize", &w->hints.chunksize, err) < 0)
		return -1;
	if (!json_object_object_get_ex(doc, "trace", &v))
		return amz_fail(err, EINVAL, "trace is missing");
	return trace_from_json(v, w->trace, err);
}

int workload_from_json(json_object *doc, struct workload_run *w, struct amz_err *err)
{
	memset(w, 0, sizeof(*w));
	if (load_run(doc, w, err) < 0) {
		workload_free(w);
		return -1;
	}
	return 0;
}

void workload_free(struct workload_run *w)
{
	int i;

	if (!w->owned)
		return;
	for (i = 0; w->argv && w->argv[i]; i++)
		free(w->argv[i]);
	free(w->argv);
	free(w->trace);
	memset(w, 0, sizeof(*w));
}
