/* Writing the Prometheus text exposition format: one HELP and one TYPE line per metric family,
 * then its samples; label values escaped as the format requires. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_prometheus.h"

struct family {
	const char *name;
	const char *type;
	const char *help;
};

static void header(FILE *f, const struct family *fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

/* Label values may hold any text: backslash, double quote and newline are escaped. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void sample(FILE *f, const char *name, const char *label, const char *value, double v)
{
	fputs(name, f);
	if (label) {
		fprintf(f, "{%s=\"", label);
		label_value(f, value);
		fputs("\"}", f);
	}
	fprintf(f, " %.12g\n", v);
}

static void host_value(FILE *f, const struct family *fam, const struct host_value *v, bool x)
{
	if (v->state != HOST_SET)
		return;
	header(f, fam);
	sample(f, fam->name, NULL, NULL, x ? v->x : (double)v->n);
}

static void export_host(FILE *f, const struct amz_host *h)
{
	static const struct family info = {"amzprof_host_info", "gauge",
					   "The analysed host: kernel and CPU model."};
	static const struct family fams[] = {
		{"amzprof_host_cpus_usable", "gauge",
		 "CPUs this process may use: allowed CPUs and CFS quota, lowest."},
		{"amzprof_host_cpus_online", "gauge", "Online CPUs."},
		{"amzprof_host_cpus_allowed", "gauge", "Online CPUs in the affinity and cpuset."},
		{"amzprof_host_physical_cores", "gauge",
		 "Physical cores with at least one allowed CPU."},
		{"amzprof_host_cpu_quota", "gauge",
		 "CFS quota in CPUs, lowest over cgroup levels."},
		{"amzprof_host_memory_total_bytes", "gauge", "Physical memory."},
		{"amzprof_host_memory_limit_bytes", "gauge",
		 "Cgroup memory limit, lowest over cgroup levels."},
		{"amzprof_host_memory_left_bytes", "gauge",
		 "Memory new workers may still use under every limit."},
		{"amzprof_host_cpu_throttled_periods_total", "counter",
		 "CFS periods in which the cgroup was throttled."},
	};

	header(f, &info);
	fprintf(f, "%s{kernel=\"", info.name);
	label_value(f, h->kernel ? h->kernel : "");
	fputs("\",cpu_model=\"", f);
	label_value(f, h->cpu_model ? h->cpu_model : "");
	fputs("\"} 1\n", f);

	host_value(f, &fams[0], &h->usable, true);
	host_value(f, &fams[1], &h->online, false);
	host_value(f, &fams[2], &h->allowed, false);
	host_value(f, &fams[3], &h->physical_cores, false);
	host_value(f, &fams[4], &h->quota, true);
	host_value(f, &fams[5], &h->mem_total, false);
	host_value(f, &fams[6], &h->mem_limit, false);
	host_value(f, &fams[7], &h->mem_left, false);
	host_value(f, &fams[8], &h->throttled, false);
}

struct labelled {
	const char *label;
	const struct calib_figure *fig;
};

/* One family of calibration figures, in seconds (or seconds per byte): unmeasured ones are
 * left out, since absence is how the format says unknown. */
static void figures(FILE *f, const struct family *fam, const struct labelled *l, size_t n,
		    const char *label_name)
{
	size_t i;
	bool any = false;

	for (i = 0; i < n; i++)
		any |= l[i].fig->measured;
	if (!any)
		return;
	header(f, fam);
	for (i = 0; i < n; i++)
		if (l[i].fig->measured)
			sample(f, fam->name, label_name, l[i].label, l[i].fig->median / 1e9);
}

static void export_calibration(FILE *f, const struct amz_calibration *c, time_t when)
{
	static const struct family spawn = {"amzprof_calibration_spawn_seconds", "gauge",
					    "Starting one worker, call to its first run (median)."};
	static const struct family dispatch = {
		"amzprof_calibration_dispatch_seconds", "gauge",
		"Handing a sleeping worker one message on another CPU, one way (median)."};
	static const struct family ipc = {"amzprof_calibration_ipc_seconds_per_byte", "gauge",
					  "Moving bytes to a worker (median)."};
	static const struct family stamp = {"amzprof_calibration_timestamp_seconds", "gauge",
					    "When this host was calibrated, Unix time."};
	const struct labelled s[] = {
		{"fork", &c->fork}, {"thread", &c->thread}, {"posix_spawn", &c->posix_spawn}};
	const struct labelled d[] = {{"pipe", &c->pipe_cross},
				     {"futex", &c->futex_cross},
				     {"unix_socket", &c->unix_cross}};
	const struct labelled b[] = {{"pipe", &c->ipc_pipe}, {"shm", &c->ipc_shm}};

	figures(f, &spawn, s, ARRAY_SIZE(s), "method");
	figures(f, &dispatch, d, ARRAY_SIZE(d), "mechanism");
	figures(f, &ipc, b, ARRAY_SIZE(b), "channel");
	header(f, &stamp);
	sample(f, stamp.name, NULL, NULL, (double)when);
}

static void export_workloads(FILE *f, const struct prom_workload *w, size_t n)
{
	static const struct family fams[] = {
		{"amzprof_recommended_workers", "gauge", "Workers amzprof recommends."},
		{"amzprof_recommended_chunksize", "gauge", "Chunk size amzprof recommends."},
		{"amzprof_predicted_speedup", "gauge", "Predicted speedup over a serial run."},
		{"amzprof_recommendation_timestamp_seconds", "gauge",
		 "When the recommendation was made, Unix time."},
	};
	size_t i, k;

	if (!n)
		return;
	for (k = 0; k < ARRAY_SIZE(fams); k++) {
		bool headed = false;

		for (i = 0; i < n; i++) {
			double v = k == 0   ? w[i].jobs
				   : k == 1 ? w[i].chunksize
				   : k == 2 ? w[i].speedup
					    : (double)w[i].when;

			if (isnan(v))
				continue;
			if (!headed)
				header(f, &fams[k]);
			headed = true;
			sample(f, fams[k].name, "workload", w[i].name, v);
		}
	}
}

int report_prometheus(FILE *f, const struct prom_export *e)
{
	export_host(f, e->host);
	if (e->calibration)
		export_calibration(f, e->calibration, e->calibrated);
	export_workloads(f, e->workloads, e->n_workloads);
	return ferror(f) ? -1 : 0;
}

/* The recommendation section of a workload profile, when it has a valid one. */
static int read_recommendation(json_object *doc, const char *name, struct prom_workload *w)
{
	json_object *rec = NULL, *v = NULL;
	struct amz_err err = {0};

	if (!json_object_object_get_ex(doc, "recommendation", &rec))
		return -1;

	/* A recommendation made without the item count has a chunk duration, not a size: the
	 * chunk size is then left out, as the format says unknown. */
	w->chunksize = NAN;
	if (profile_get_number(rec, "jobs", 1, 1e6, &w->jobs, &err) < 0 ||
	    (json_object_object_get_ex(rec, "chunksize", &v) && v &&
	     profile_get_number(rec, "chunksize", 1, 1e15, &w->chunksize, &err) < 0) ||
	    profile_get_number(rec, "speedup", 0, 1e6, &w->speedup, &err) < 0) {
		amz_log(AMZ_LOG_WARN, "workload profile '%s' has no usable recommendation: %s",
			name, err.msg);
		return -1;
	}
	w->serial = json_object_object_get_ex(rec, "serial", &v) && json_object_get_boolean(v);
	w->when = json_object_object_get_ex(doc, "created_unix", &v)
			  ? (time_t)json_object_get_int64(v)
			  : 0;
	return 0;
}

static size_t collect_workloads(struct profile_store *s, struct prom_workload **out)
{
	struct profile_entry *list;
	struct amz_err err = {0};
	size_t n, i, k = 0;

	*out = NULL;
	if (profile_list(s, &list, &n, &err) < 0 || !n)
		return 0;
	*out = calloc(n, sizeof(**out));
	for (i = 0; *out && i < n; i++) {
		json_object *doc;

		if (list[i].damaged || list[i].kind != PROFILE_WORKLOAD ||
		    profile_load(s, list[i].name, PROFILE_WORKLOAD, &doc, &err) < 0)
			continue;
		(*out)[k].name = strdup(list[i].name);
		if ((*out)[k].name && read_recommendation(doc, list[i].name, &(*out)[k]) == 0)
			k++;
		else
			free((char *)(*out)[k].name);
		json_object_put(doc);
	}
	free(list);
	return k;
}

static int write_export(FILE *f, void *ctx)
{
	return report_prometheus(f, ctx);
}

int report_prometheus_file(const char *path, const struct prom_sources *src, struct amz_err *err)
{
	struct prom_export e = {.host = src->host};
	struct prom_workload *w = NULL;
	struct amz_calibration cal;
	struct amz_err why = {0};
	size_t i;
	int r;

	/* The calibration made now, or the saved one while it still fits this host. */
	if (src->fresh) {
		e.calibration = src->fresh;
		e.calibrated = src->fresh_when;
	} else if (src->store &&
		   calibrate_load(src->store, src->host_profile ? src->host_profile : "host",
				  src->host, &cal, &e.calibrated, &why) == 0) {
		e.calibration = &cal;
	} else if (src->store) {
		amz_log(AMZ_LOG_INFO, "no calibration exported: %s", why.msg);
	}
	if (src->store)
		e.n_workloads = collect_workloads(src->store, &w);
	e.workloads = w;

	r = amz_write_atomic(path, write_export, &e, err);
	for (i = 0; i < e.n_workloads; i++)
		free((char *)w[i].name);
	free(w);
	return r;
}
