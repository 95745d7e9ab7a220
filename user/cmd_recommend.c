/* amzprof recommend NAME and amzprof run NAME -- CMD: the recommendation recomputed from a
 * saved workload profile, for this host as it is now and for another input size if asked, and
 * a command run with it applied. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advice.h"
#include "calibrate.h"
#include "cli.h"
#include "host.h"
#include "launch.h"
#include "profile.h"
#include "report.h"
#include "workload.h"

struct recommend_opts {
	const char *store;
	const char *name;
	bool json;
	int verbosity;
	struct workload_hints hints; /* override the profile's */
	char **command;		     /* run: the command after -- */
};

static int parse_hint(const char *opt, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *out < 1)
		return cli_usage_error("option '%s' needs a number of at least 1, not '%s'", opt,
				       s);
	return 0;
}

static void print_recommend_help(bool run)
{
	if (run)
		printf("Usage: amzprof run NAME [--items N] [--jobs N] [--chunksize K] [--store "
		       "DIR] "
		       "[-v] -- COMMAND [ARGS...]\n\n"
		       "Recomputes the recommendation of the saved workload profile NAME for this\n"
		       "host as it is now, then runs COMMAND with it applied: {jobs}, {chunksize}\n"
		       "and {schedule} in its arguments are replaced, and AMZ_JOBS, "
		       "OMP_NUM_THREADS,\n"
		       "AMZ_SCHEDULE and AMZ_CHUNKSIZE are set. Exits with COMMAND's status.\n\n");
	else
		printf("Usage: amzprof recommend NAME [--items N] [--jobs N] [--chunksize K] "
		       "[--json] [--store DIR] [-v]\n\n"
		       "Recomputes the recommendation of the saved workload profile NAME for this\n"
		       "host as it is now (its limits and calibration), for another input size if\n"
		       "asked, with the reason and the inputs it came from.\n\n");
	printf("  --items N      the item count to plan for (default: the saved run's)\n"
	       "  --jobs N       the workers the saved run used, when it did not say\n"
	       "  --chunksize K  the items per chunk the saved run used\n"
	       "%s"
	       "  --store DIR    the profile store (default: $AMZ_STORE, else\n"
	       "                 $XDG_STATE_HOME/amzprof)\n"
	       "  -v, --verbose  say what was decided, on stderr\n"
	       "  -h, --help     show this help\n\n",
	       run ? "" : "  --json         print the recommendation as JSON (docs/json.md)\n");
	if (run)
		printf("Examples:\n  amzprof run make -- make -j{jobs}\n"
		       "  amzprof run mapper --items 1000000 -- ./mapper --chunk {chunksize} "
		       "big.dat\n");
	else
		printf("Examples:\n  amzprof recommend make\n"
		       "  amzprof recommend mapper --items 1000000 --json | jq .jobs\n");
}

static int parse_recommend_opts(int argc, char **argv, bool run, struct recommend_opts *o)
{
	static const struct option longopts[] = {
		{"store", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"items", required_argument, NULL, 'I'},
		{"jobs", required_argument, NULL, 'J'},
		{"chunksize", required_argument, NULL, 'K'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, r = 0, dashes = argc;

	/* run: everything after "--" is the command; options may sit around the name. */
	memset(o, 0, sizeof(*o));
	for (c = 1; run && c < argc; c++)
		if (strcmp(argv[c], "--") == 0) {
			dashes = c;
			break;
		}
	cli_getopt_reset();
	while (!r && (c = getopt_long(dashes, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_recommend_help(run);
			return -1;
		case 's':
			o->store = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'I':
			r = parse_hint("--items", optarg, &o->hints.items);
			break;
		case 'J':
			r = parse_hint("--jobs", optarg, &o->hints.jobs);
			break;
		case 'K':
			r = parse_hint("--chunksize", optarg, &o->hints.chunksize);
			break;
		case 'v':
			o->verbosity++;
			break;
		default:
			return cli_option_error(c, argv, argv[0]);
		}
	}
	if (r)
		return r;
	if (optind >= dashes)
		return cli_usage_error("'%s' needs the name of a workload profile", argv[0]);
	o->name = argv[optind++];
	if (optind < dashes)
		return cli_usage_error("'%s' takes one profile name ('%s' is extra)", argv[0],
				       argv[optind]);
	if (run && dashes + 1 >= argc)
		return cli_usage_error("'run' needs a command after '--', as in 'amzprof run %s -- "
				       "make -j{jobs}'",
				       o->name);
	o->command = run ? argv + dashes + 1 : NULL;
	cli_set_verbosity(o->verbosity);
	return 0;
}

/* The hints of the saved run, with the user's overrides on top. */
static void merge_hints(struct workload_hints *h, const struct workload_hints *over)
{
	if (over->items > 0)
		h->items = over->items;
	if (over->jobs > 0)
		h->jobs = over->jobs;
	if (over->chunksize > 0)
		h->chunksize = over->chunksize;
}

struct recompute {
	struct profile_store store;
	struct amz_host host;
	struct amz_calibration cal;
	struct workload_run run;
	struct advice advice;
};

static int load_run(struct recompute *x, const struct recommend_opts *o, struct amz_err *err)
{
	json_object *doc;
	char path[4096];
	int r;

	if (profile_load(&x->store, o->name, PROFILE_WORKLOAD, &doc, err) < 0)
		return -1;
	r = workload_from_json(doc, &x->run, err);
	json_object_put(doc);
	if (r < 0) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		profile_path(&x->store, o->name, path, sizeof(path));
		return amz_fail(err, EINVAL, "%s cannot be used: %s", path, why);
	}
	merge_hints(&x->run.hints, &o->hints);
	return workload_check_hints(&x->run.hints, err);
}

/* This host's limits and costs: a run recorded elsewhere is recomputed for here. */
static int this_host(struct recompute *x, struct amz_err *err)
{
	struct host_opts ho = {0};
	char fingerprint[1024];
	bool fresh = false;
	char why[512];

	if (host_detect(&x->host, &ho, err) < 0)
		return -1;
	host_fingerprint(&x->host, fingerprint, sizeof(fingerprint));
	if (x->run.fingerprint[0] && strcmp(fingerprint, x->run.fingerprint) != 0)
		amz_log(AMZ_LOG_WARN, "the run was recorded on another host or under other limits; "
				      "recommending for this host as it is now");
	if (calibrate_obtain(&x->store, "host", &x->host, NULL, CALIB_DEFAULT, &x->cal, &fresh, why,
			     sizeof(why), err) < 0)
		return -1;
	if (fresh)
		amz_log(AMZ_LOG_WARN, "calibrated this host first, since %s", why);
	return 0;
}

static int recompute(struct recompute *x, const struct recommend_opts *o, struct amz_err *err)
{
	memset(x, 0, sizeof(*x));
	if (profile_store_open(&x->store, o->store, err) < 0)
		return -1;
	if (load_run(x, o, err) < 0 || this_host(x, err) < 0)
		return -1;
	advice_from_host(&x->advice, &x->host, &x->cal, x->run.trace->k.c.processes > 0,
			 (double)x->run.trace->peak_rss_kib * 1024);
	if (advice_from_trace(&x->advice, x->run.trace, &x->run.hints, err) < 0)
		return -1;
	return advice_optimize(&x->advice, err);
}

static void recompute_free(struct recompute *x)
{
	advice_free(&x->advice);
	workload_free(&x->run);
	if (x->host.kernel)
		host_free(&x->host);
	if (x->store.dir)
		profile_store_close(&x->store);
}

int cmd_recommend_parse(int argc, char **argv)
{
	struct recommend_opts o;

	return parse_recommend_opts(argc, argv, false, &o);
}

int cmd_run_parse(int argc, char **argv)
{
	struct recommend_opts o;

	return parse_recommend_opts(argc, argv, true, &o);
}

int cmd_recommend(int argc, char **argv)
{
	struct recommend_opts o;
	struct recompute x;
	struct amz_err err = {0};
	int r;

	r = parse_recommend_opts(argc, argv, false, &o);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = recompute(&x, &o, &err);
	if (r < 0) {
		cli_error("%s", err.msg);
		recompute_free(&x);
		return CLI_EXIT_FAILED;
	}

	if (o.json) {
		json_object *j = advice_to_json(&x.advice);

		printf("%s\n",
		       json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		report_advice_text(stdout, &x.advice);
	}
	recompute_free(&x);
	return CLI_EXIT_OK;
}

/* Replaces every {jobs}, {chunksize} and {schedule} in ARG; NULL when out of memory. */
static char *substitute(const char *arg, const char *jobs, const char *chunksize,
			const char *schedule)
{
	size_t cap = strlen(arg) * 2 + 64, len = 0;
	char *out = malloc(cap);

	while (out && *arg) {
		const char *with = NULL;
		size_t skip = 1;

		if (strncmp(arg, "{jobs}", 6) == 0) {
			with = jobs;
			skip = 6;
		} else if (strncmp(arg, "{chunksize}", 11) == 0) {
			with = chunksize;
			skip = 11;
		} else if (strncmp(arg, "{schedule}", 10) == 0) {
			with = schedule;
			skip = 10;
		}
		if (len + (with ? strlen(with) : 1) + 1 >= cap) {
			char *n = realloc(out, cap *= 2);

			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
			continue;
		}
		if (with)
			len += (size_t)sprintf(out + len, "%s", with);
		else
			out[len++] = *arg;
		arg += skip;
	}
	if (out)
		out[len] = '\0';
	return out;
}

/* The chunk size to apply: the recommendation's count, or the current chunk scaled. */
static double chunksize_to_apply(const struct advice *a)
{
	if (a->result.serial)
		return a->absolute ? a->work.items : 0;
	if (a->absolute)
		return a->result.best.k;
	if (a->current_k > 0 && a->scale_k > 0)
		return fmax(1, round(a->current_k * a->scale_k));
	return 0;
}

static int exec_with(const struct advice *a, char **command)
{
	struct launch_creds creds;
	char jobs[32], chunk[32], **argv;
	double k = chunksize_to_apply(a);
	int n = a->result.serial ? 1 : a->result.best.n, i, argc;
	const char *schedule = !a->result.serial && a->result.best.schedule == MODEL_FACTORING
				       ? "factoring"
				       : "fixed";
	struct amz_err err = {0};

	snprintf(jobs, sizeof(jobs), "%d", n);
	snprintf(chunk, sizeof(chunk), "%.0f", k);
	for (argc = 0; command[argc]; argc++)
		if (k <= 0 && strstr(command[argc], "{chunksize}")) {
			cli_error("the profile gives a chunk duration, not a chunk size: trace the "
				  "workload again with --items and --chunksize to use {chunksize}");
			return LAUNCH_EXIT_FAILED;
		}
	argv = calloc((size_t)argc + 1, sizeof(*argv));
	for (i = 0; argv && i < argc; i++)
		if (!(argv[i] = substitute(command[i], jobs, chunk, schedule)))
			break;
	if (!argv || i < argc) {
		cli_error("cannot prepare the command: out of memory");
		return LAUNCH_EXIT_FAILED;
	}

	/* Under sudo the command runs as the caller, as a traced workload does. */
	if (launch_sudo_creds(&creds, false, &err) < 0 ||
	    (creds.drop && launch_become(&creds) < 0)) {
		cli_error("%s", err.msg[0] ? err.msg : "cannot become the sudo caller");
		return LAUNCH_EXIT_FAILED;
	}

	/* The workload reads its configuration from the environment or its arguments. */
	setenv("AMZ_JOBS", jobs, 1);
	setenv("OMP_NUM_THREADS", jobs, 1);
	setenv("AMZ_SCHEDULE", schedule, 1);
	if (k > 0)
		setenv("AMZ_CHUNKSIZE", chunk, 1);
	amz_log(AMZ_LOG_INFO, "running with %s workers, chunk size %s", jobs, k > 0 ? chunk : "?");
	i = launch_check_command(argv[0], &err);
	if (i) {
		cli_error("%s", err.msg);
		return i;
	}
	execvp(argv[0], argv);
	cli_error("cannot run '%s': %s", argv[0], amz_reason(errno));
	return errno == ENOENT ? LAUNCH_EXIT_NOT_FOUND : LAUNCH_EXIT_CANNOT_EXECUTE;
}

int cmd_run(int argc, char **argv)
{
	struct recommend_opts o;
	struct recompute x;
	struct amz_err err = {0};
	int r;

	r = parse_recommend_opts(argc, argv, true, &o);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	if (recompute(&x, &o, &err) < 0) {
		cli_error("%s", err.msg);
		recompute_free(&x);
		return LAUNCH_EXIT_FAILED;
	}
	r = exec_with(&x.advice, o.command);
	recompute_free(&x);
	return r;
}
