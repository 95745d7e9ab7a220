/* Formatting a calibration as text: spawn, dispatch, bytes and SMT, one figure a line. */
#include <math.h>

#include "report_calibrate.h"
#include "report_profile.h"

static void print_figure(FILE *f, const char *label, const struct calib_figure *fig,
			 const char *key)
{
	fprintf(f, "  %-26s ", label);
	if (!fig->measured) {
		fprintf(f, "not measured: %s\n", fig->why_not);
		return;
	}
	report_value(f, key, fig->median);
	fprintf(f, "  ±%.1f%% (n=%zu%s)", fig->ci95_rel * 100, fig->n,
		fig->stable ? "" : ", not stable within the time budget");
	if (fig->parent > 0) {
		fputs("; parent's part ", f);
		report_value(f, key, fig->parent);
	}
	if (fig->kernel_events) {
		fputs("; kernel p50 ", f);
		report_value(f, "x_ns", fig->kernel_p50_ns);
	}
	fputc('\n', f);
}

static void print_fork_sizes(FILE *f, const struct amz_calibration *c)
{
	char label[64];
	int i;

	for (i = 1; i < c->n_fork_sizes; i++) {
		snprintf(label, sizeof(label), "fork, parent %.0f MiB",
			 c->fork_sizes[i].rss_bytes / (1 << 20));
		print_figure(f, label, &c->fork_sizes[i].fig, "spawn_ns");
	}
	if (c->fork_ns_per_mib > 0) {
		fprintf(f, "  %-26s ", "fork growth");
		report_value(f, "x_ns", c->fork_ns_per_mib);
		fputs(" per MiB the parent has resident\n", f);
	}
}

void report_calibration_text(FILE *f, const struct amz_calibration *c)
{
	fprintf(f, "calibrated in %.2f s (%s effort; %s)\n", c->wall_s, c->effort,
		c->source[0] == 'b' ? "user-space timings, with the kernel's view from BPF"
				    : "user-space timings only, without BPF");

	fputs("starting a worker (call to its first instruction)\n", f);
	print_figure(f, "fork", &c->fork, "spawn_ns");
	print_fork_sizes(f, c);
	print_figure(f, "pthread_create", &c->thread, "spawn_ns");
	print_figure(f, "posix_spawn /bin/true", &c->posix_spawn, "spawn_ns");

	fprintf(f, "handing a sleeping worker one chunk (CPU %d to CPU %d, and on one CPU)\n",
		c->cpu_a, c->cpu_b);
	print_figure(f, "pipe, other CPU", &c->pipe_cross, "dispatch_ns");
	print_figure(f, "pipe, same CPU", &c->pipe_same, "dispatch_ns");
	print_figure(f, "futex, other CPU", &c->futex_cross, "dispatch_ns");
	print_figure(f, "futex, same CPU", &c->futex_same, "dispatch_ns");
	print_figure(f, "unix socket, other CPU", &c->unix_cross, "dispatch_ns");
	print_figure(f, "unix socket, same CPU", &c->unix_same, "dispatch_ns");
	fputs("libamorsize's pool, per empty chunk (two busy workers)\n", f);
	print_figure(f, "amz_map, threads", &c->pool_threads, "dispatch_ns");
	print_figure(f, "amz_map, processes", &c->pool_processes, "dispatch_ns");

	fputs("moving bytes to a worker\n", f);
	print_figure(f, "pipe", &c->ipc_pipe, "ipc_ns_per_byte");
	print_figure(f, "shared memory (copy in, out)", &c->ipc_shm, "ipc_ns_per_byte");

	fputs("SMT\n", f);
	print_figure(f, "two siblings / two cores", &c->smt, "ratio");
}

int report_calibration_json(FILE *f, const struct amz_calibration *c)
{
	json_object *doc = json_object_new_object(), *figures = calibrate_to_json(c);
	int ok;

	json_object_object_add(doc, "schema", json_object_new_int(REPORT_CALIBRATE_SCHEMA));
	json_object_object_add(doc, "kind", json_object_new_string("calibration"));
	json_object_object_foreach(figures, key, value)
		json_object_object_add(doc, key, json_object_get(value));
	json_object_put(figures);
	ok = fprintf(f, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY)) >= 0;
	json_object_put(doc);
	return ok ? 0 : -1;
}
