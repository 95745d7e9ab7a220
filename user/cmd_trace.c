/* amzprof [OPTIONS] -- COMMAND: run a workload under the tracer and report what it cost. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "launch.h"
#include "report.h"
#include "tracer.h"

struct trace_opts {
	const char *output;
	bool json;
	int verbosity;
	char **command;
};

static int parse_trace_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		case ':':
			return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (optind >= argc || strcmp(argv[optind - 1], "--") != 0) {
		if (optind < argc)
			return cli_usage_error("put the command to trace after '--', as in "
					       "'amzprof -- %s'",
					       argv[optind]);
		return cli_usage_error("no command to trace after '--'");
	}
	o->command = argv + optind;
	return 0;
}

static int finish(const struct trace_opts *o, const struct launch *l, const struct amz_trace *t,
		  double wall_s)
{
	struct report_run r = {
		.argv = o->command,
		.exit_status = launch_exit_status(l),
		.term_signal = WIFSIGNALED(l->status) ? WTERMSIG(l->status) : 0,
		.wall_s = wall_s,
		.trace = t,
	};
	FILE *out = cli_open_output(o->output);

	if (!out)
		return LAUNCH_EXIT_FAILED;
	if (o->json)
		report_run_json(out, &r);
	else
		report_run_text(out, &r);
	cli_close_output(out);
	return r.exit_status;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o;
	struct launch l;
	struct tracer *t = NULL;
	struct amz_trace trace;
	struct amz_err err = {0};
	uint64_t start;
	int r;

	r = parse_trace_opts(argc, argv, &o);
	if (r)
		return r;
	cli_set_verbosity(o.verbosity);

	/* Check the command first: a typo should not cost a BPF load. */
	r = launch_check_command(o.command[0], &err);
	if (r) {
		cli_error("%s", err.msg);
		return r;
	}

	/* Fork the workload stopped, load the tracer, follow the child, let it exec. */
	if (launch_prepare(&l, o.command, &err) < 0) {
		cli_error("%s", err.msg);
		return LAUNCH_EXIT_FAILED;
	}
	if (tracer_open(&t, &err) < 0 || tracer_follow(t, l.pid, &err) < 0) {
		cli_error("%s", err.msg);
		launch_abort(&l);
		tracer_close(t);
		return LAUNCH_EXIT_FAILED;
	}
	start = amz_now_ns();
	r = launch_release(&l, &err);

	/* Wait for the workload, then read what the kernel counted. */
	if (launch_wait(&l, &err) < 0) {
		cli_error("%s", err.msg);
		tracer_close(t);
		return LAUNCH_EXIT_FAILED;
	}
	if (r < 0) {
		cli_error("%s", err.msg);
		tracer_close(t);
		return launch_exit_status(&l);
	}
	tracer_read(t, &trace);
	tracer_close(t);

	return finish(&o, &l, &trace, (double)(amz_now_ns() - start) / 1e9);
}
