/* amzprof export --prometheus FILE: host limits, calibration and the last recommendation of
 * every saved workload, as a textfile for node_exporter, written atomically. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "cli.h"
#include "host.h"
#include "profile.h"
#include "report_prometheus.h"

struct export_opts {
	const char *prometheus;
	const char *store;
	const char *host_profile;
	int verbosity;
};

static int parse_export_opts(int argc, char **argv, struct export_opts *o)
{
	static const struct option longopts[] = {
		{"prometheus", required_argument, NULL, 'p'},
		{"store", required_argument, NULL, 's'},
		{"host-profile", required_argument, NULL, 'H'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->host_profile = "host";
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->prometheus = optarg;
			break;
		case 's':
			o->store = optarg;
			break;
		case 'H':
			o->host_profile = optarg;
			break;
		case 'v':
			o->verbosity++;
			break;
		default:
			return cli_option_error(c, argv, "export");
		}
	}
	if (optind < argc)
		return cli_usage_error("'export' takes no operands ('%s')", argv[optind]);
	if (!o->prometheus)
		return cli_usage_error("'export' needs --prometheus FILE");
	cli_set_verbosity(o->verbosity);
	return 0;
}

/* The recommendation section of a workload profile, when it has a valid one. */
static int read_recommendation(json_object *doc, const char *name, struct prom_workload *w)
{
	json_object *rec = NULL, *v = NULL;
	struct amz_err err = {0};

	if (!json_object_object_get_ex(doc, "recommendation", &rec))
		return -1;
	if (profile_get_number(rec, "jobs", 1, 1e6, &w->jobs, &err) < 0 ||
	    profile_get_number(rec, "chunksize", 1, 1e15, &w->chunksize, &err) < 0 ||
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

int cmd_export_parse(int argc, char **argv)
{
	struct export_opts o;

	return parse_export_opts(argc, argv, &o);
}

int cmd_export(int argc, char **argv)
{
	struct export_opts o;
	struct amz_host host;
	struct host_opts ho = {0};
	struct amz_calibration cal;
	struct profile_store store;
	struct prom_export e = {0};
	struct prom_workload *w = NULL;
	struct amz_err err = {0};
	size_t i;
	int r;

	r = parse_export_opts(argc, argv, &o);
	if (r)
		return r;

	/* The host now, its calibration if still valid, and every workload's recommendation. */
	if (host_detect(&host, &ho, &err) < 0 || profile_store_open(&store, o.store, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	e.host = &host;
	if (calibrate_load(&store, o.host_profile, &host, &cal, &e.calibrated, &err) == 0)
		e.calibration = &cal;
	else
		amz_log(AMZ_LOG_INFO, "no calibration exported: %s", err.msg);
	e.n_workloads = collect_workloads(&store, &w);
	e.workloads = w;

	/* Written beside the target and renamed, as the textfile collector expects. */
	r = amz_write_atomic(o.prometheus, write_export, &e, &err);
	if (r < 0)
		cli_error("%s", err.msg);
	for (i = 0; i < e.n_workloads; i++)
		free((char *)w[i].name);
	free(w);
	profile_store_close(&store);
	host_free(&host);
	return r < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
