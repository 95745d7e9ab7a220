/* amzprof host [--json] [--sysroot DIR] [-v]: the CPUs and memory this process may really use,
 * and where each limit comes from. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "host.h"

struct host_cmd_opts {
	bool json;
	const char *sysroot;
	int verbosity;
};

static void print_host_help(void)
{
	printf("Usage: amzprof host [--json] [--sysroot DIR] [-v]\n\n"
	       "Shows the CPUs and memory this process may really use (affinity, cpuset, CFS\n"
	       "quota, physical cores, cgroup memory limits of every level, MemAvailable), each\n"
	       "with the file and cgroup level it came from, and every value that was ignored\n"
	       "with the reason. AMZ_CPUS and AMZ_MEMORY override detection.\n\n"
	       "  --json          print the JSON document instead of the report\n"
	       "  --sysroot DIR   read every file under DIR, a tree captured with\n"
	       "                  tools/capture-sysroot.sh, instead of the live system\n"
	       "  -v, --verbose   say what was detected, on stderr\n"
	       "  -h, --help      show this help\n\n"
	       "Examples:\n"
	       "  amzprof host\n"
	       "  AMZ_CPUS=1.5 amzprof host --json | jq .cpu.usable\n"
	       "  tools/capture-sysroot.sh /tmp/box && amzprof host --sysroot /tmp/box\n");
}

/* 0 to go on, -1 after --help, or a usage error's exit status. */
static int parse_host_opts(int argc, char **argv, struct host_cmd_opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"sysroot", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 's':
			o->sysroot = optarg;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'h':
			print_host_help();
			return -1;
		default:
			return cli_option_error(c, argv, "host");
		}
	}
	if (optind < argc)
		return cli_usage_error("'amzprof host' takes no arguments, but got '%s'",
				       argv[optind]);
	return 0;
}

int cmd_host_parse(int argc, char **argv)
{
	struct host_cmd_opts o;

	return parse_host_opts(argc, argv, &o);
}

int cmd_host(int argc, char **argv)
{
	struct host_cmd_opts o;
	struct host_opts ho = {0};
	struct amz_err err = {0};
	struct amz_host h;
	json_object *doc;
	int r;

	r = parse_host_opts(argc, argv, &o);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	cli_set_verbosity(o.verbosity);

	/* Detect, then print one of the two forms. */
	ho.sysroot = o.sysroot;
	if (host_detect(&h, &ho, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	if (o.json) {
		doc = host_to_json(&h);
		printf("%s\n",
		       json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	} else {
		host_print(stdout, &h);
	}
	host_free(&h);

	if (fflush(stdout) != 0) {
		cli_error("cannot write the report to standard output");
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}
