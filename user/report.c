/* Formatting a traced run as text and as JSON. */
#include <signal.h>
#include <string.h>

#include <json-c/json.h>

#include "report.h"

static void print_command(FILE *f, char *const *argv)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
}

static void print_end(FILE *f, const struct report_run *r)
{
	if (r->term_signal)
		fprintf(f, "was killed by signal %d (SIG%s)", r->term_signal,
			sigabbrev_np(r->term_signal) ? sigabbrev_np(r->term_signal) : "?");
	else
		fprintf(f, "exited with status %d", r->exit_status);
}

void report_run_text(FILE *f, const struct report_run *r)
{
	const struct amz_trace *t = r->trace;

	fputs("amzprof: ", f);
	print_command(f, r->argv);
	fputc(' ', f);
	print_end(f, r);
	fprintf(f, " after %.3f s\n", r->wall_s);

	fprintf(f, "  spawned %llu process%s and %llu thread%s (counted in the kernel, %s)\n",
		t->processes, t->processes == 1 ? "" : "es", t->threads, t->threads == 1 ? "" : "s",
		t->attach_mode);
	if (t->untracked)
		fprintf(f,
			"  %llu forks were not followed: more than the tracer can track at once\n",
			t->untracked);
}

static json_object *trace_json(const struct amz_trace *t)
{
	json_object *tasks = json_object_new_object();

	json_object_object_add(tasks, "processes", json_object_new_int64((int64_t)t->processes));
	json_object_object_add(tasks, "threads", json_object_new_int64((int64_t)t->threads));
	json_object_object_add(tasks, "untracked", json_object_new_int64((int64_t)t->untracked));
	return tasks;
}

int report_run_json(FILE *f, const struct report_run *r)
{
	json_object *root = json_object_new_object();
	json_object *cmd = json_object_new_array();
	size_t i;
	int ok;

	for (i = 0; r->argv[i]; i++)
		json_object_array_add(cmd, json_object_new_string(r->argv[i]));

	json_object_object_add(root, "command", cmd);
	json_object_object_add(root, "exit_status", json_object_new_int(r->exit_status));
	json_object_object_add(root, "signal", json_object_new_int(r->term_signal));
	json_object_object_add(root, "wall_s", json_object_new_double(r->wall_s));
	json_object_object_add(root, "source", json_object_new_string("bpf"));
	json_object_object_add(root, "attach", json_object_new_string(r->trace->attach_mode));
	json_object_object_add(root, "tasks", trace_json(r->trace));

	ok = fprintf(f, "%s\n",
		     json_object_to_json_string_ext(
			     root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) >= 0;
	json_object_put(root);
	return ok ? 0 : -1;
}
