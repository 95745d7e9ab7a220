/* amzprof calibrate: measure this host's spawn, dispatch and IPC costs and save them as the
 * host profile that later runs and the library reuse. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli.h"
#include "host.h"
#include "profile.h"
#include "report_calibrate.h"
#include "report_prometheus.h"
#include "tracer.h"

struct calibrate_opts {
	enum calib_effort effort;
	bool json;
	bool save;
	const char *store;
	const char *name;
	const char *prometheus; /* --prometheus FILE */
	int verbosity;
};

static void print_calibrate_help(void)
{
	printf("Usage: amzprof calibrate [--quick | --thorough] [--json] [--name NAME] [--store "
	       "DIR]\n"
	       "                         [--no-save] [--prometheus FILE] [-v]\n\n"
	       "Measures what this host charges a parallel program: starting a worker (fork at\n"
	       "several parent sizes, pthread_create, posix_spawn), handing a sleeping worker one\n"
	       "chunk (pipe, futex, Unix socket, libamorsize's own hand-off), moving bytes to it,\n"
	       "and SMT scaling. Each figure repeats until its median is stable. The result is\n"
	       "saved as the host profile that later runs and the library reuse.\n\n"
	       "  --quick            about a third of a second; 10%% intervals\n"
	       "  --thorough         several seconds; more parent sizes, 2%% intervals\n"
	       "  --json             print the calibration as JSON (docs/json.md)\n"
	       "  --name NAME        save it as profile NAME (default: host)\n"
	       "  --store DIR        the profile store (default: $AMZ_STORE, else\n"
	       "                     $XDG_STATE_HOME/amzprof)\n"
	       "  --no-save          measure and print only\n"
	       "  --prometheus FILE  also write the figures, the host's limits and the saved\n"
	       "                     recommendations for node_exporter's textfile collector\n"
	       "  -v, --verbose      say what was detected and decided (-vv: libbpf's output)\n"
	       "  -h, --help         show this help\n\n"
	       "Examples:\n"
	       "  sudo amzprof calibrate\n"
	       "  amzprof calibrate --quick --json --no-save | jq .spawn_ns.fork.median\n"
	       "  sudo amzprof calibrate --prometheus /var/lib/node_exporter/amzprof.prom\n");
}

static int parse_calibrate_opts(int argc, char **argv, struct calibrate_opts *o)
{
	static const struct option longopts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"thorough", no_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"store", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"no-save", no_argument, NULL, 'N'},
		{"verbose", no_argument, NULL, 'v'},
		{"prometheus", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->effort = CALIB_DEFAULT;
	o->save = true;
	o->name = "host";
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o->effort = CALIB_QUICK;
			break;
		case 't':
			o->effort = CALIB_THOROUGH;
			break;
		case 'j':
			o->json = true;
			break;
		case 's':
			o->store = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'N':
			o->save = false;
			break;
		case 'P':
			o->prometheus = optarg;
			break;
		case 'h':
			print_calibrate_help();
			return -1;
		case 'v':
			o->verbosity++;
			break;
		default:
			return cli_option_error(c, argv, "calibrate");
		}
	}
	if (optind < argc)
		return cli_usage_error("'calibrate' takes no operands ('%s')", argv[optind]);
	cli_set_verbosity(o->verbosity);
	return 0;
}

/* The kernel's view of the probes, where BPF is available; user-space timings stand alone
 * otherwise, and the report says which. */
static struct tracer *open_tracer(void)
{
	struct tracer_opts opts = {.no_usdt = true};
	struct amz_err err = {0};
	struct tracer *t = NULL;

	if (tracer_open_opts(&t, &opts, &err) < 0) {
		amz_log(AMZ_LOG_INFO, "calibrating without the kernel's view: %s", err.msg);
		return NULL;
	}
	return t;
}

static void show_progress(const char *probe, int index, int total, void *ctx)
{
	uint64_t *start = ctx;

	/* Only a calibration that has already taken a second earns a progress line. */
	if (amz_now_ns() - *start < 1000000000ull)
		return;
	fprintf(stderr, "\ramzprof: calibrating (%d/%d) %-30s", index + 1, total, probe);
	fflush(stderr);
}

static int save_profile(const struct calibrate_opts *o, const struct amz_host *h,
			const struct amz_calibration *c)
{
	struct profile_store s;
	struct amz_err err = {0};
	json_object *doc;
	int r;

	if (profile_check_name(o->name, &err) < 0 || profile_store_open(&s, o->store, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	doc = calibrate_host_profile(o->name, h, c);
	r = profile_save(&s, o->name, doc, &err);
	if (r < 0)
		cli_error("%s", err.msg);
	else
		amz_log(AMZ_LOG_INFO, "saved host profile '%s' in %s", o->name, s.dir);
	json_object_put(doc);
	profile_store_close(&s);
	return r < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

/* The metrics with this calibration, and the recommendations of the store's workloads. */
static int write_metrics(const struct calibrate_opts *o, const struct amz_host *h,
			 const struct amz_calibration *c)
{
	struct prom_sources src = {.host = h, .fresh = c, .fresh_when = time(NULL)};
	struct profile_store s;
	struct amz_err err = {0};
	bool store_open = profile_store_open(&s, o->store, &err) == 0;
	int r;

	if (store_open)
		src.store = &s;
	else
		amz_log(AMZ_LOG_INFO, "no recommendations exported: %s", err.msg);
	r = report_prometheus_file(o->prometheus, &src, &err);
	if (r < 0)
		cli_error("%s", err.msg);
	if (store_open)
		profile_store_close(&s);
	return r < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cmd_calibrate_parse(int argc, char **argv)
{
	struct calibrate_opts o;

	return parse_calibrate_opts(argc, argv, &o);
}

int cmd_calibrate(int argc, char **argv)
{
	struct calibrate_opts o;
	struct amz_host host;
	struct host_opts ho = {0};
	struct amz_calibration cal;
	struct calib_opts co = {0};
	struct amz_err err = {0};
	uint64_t start = amz_now_ns();
	bool tty = isatty(STDERR_FILENO);
	int r;

	r = parse_calibrate_opts(argc, argv, &o);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;

	/* Find the CPUs this process may use, then measure, with a progress line only on a
	 * terminal. */
	if (host_detect(&host, &ho, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	co.effort = o.effort;
	calibrate_cpus_for(&host, &co.cpus);
	co.tracer = open_tracer();
	co.progress = tty ? show_progress : NULL;
	co.progress_ctx = &start;
	r = calibrate_run(&cal, &co, &err);
	if (tty && amz_now_ns() - start >= 1000000000ull)
		fprintf(stderr, "\r%-70s\r", "");
	tracer_close(co.tracer);
	if (r < 0) {
		cli_error("%s", err.msg);
		host_free(&host);
		return CLI_EXIT_FAILED;
	}

	/* Report, then keep the result as the host profile. */
	if (o.json)
		report_calibration_json(stdout, &cal);
	else
		report_calibration_text(stdout, &cal);
	r = o.save ? save_profile(&o, &host, &cal) : CLI_EXIT_OK;
	if (o.prometheus && write_metrics(&o, &host, &cal) != CLI_EXIT_OK)
		r = CLI_EXIT_FAILED;
	host_free(&host);
	return r;
}
