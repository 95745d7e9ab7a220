/* amzprof export --prometheus FILE: host limits, calibration and the last recommendation of
 * every saved workload, as a textfile for node_exporter, written atomically. */
#include <getopt.h>
#include <string.h>

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

static void print_export_help(void)
{
	printf("Usage: amzprof export --prometheus FILE [--store DIR] [--host-profile NAME] "
	       "[-v]\n\n"
	       "Writes, for node_exporter's textfile collector, this host's limits (usable CPUs,\n"
	       "quota, memory limit and what is left), its calibration while the host profile "
	       "still\n"
	       "matches the host, and the last recommendation of every saved workload, in base\n"
	       "units with HELP and TYPE lines. FILE is written beside itself and renamed, so the\n"
	       "collector never reads half a file.\n\n"
	       "  --prometheus FILE    the textfile to write (required)\n"
	       "  --store DIR          the profile store (default: $AMZ_STORE, else\n"
	       "                       $XDG_STATE_HOME/amzprof)\n"
	       "  --host-profile NAME  the host profile to export (default: host)\n"
	       "  -v, --verbose        say what was left out and why\n"
	       "  -h, --help           show this help\n\n"
	       "Example, from cron:\n"
	       "  amzprof export --prometheus /var/lib/node_exporter/textfile/amzprof.prom\n");
}

static int parse_export_opts(int argc, char **argv, struct export_opts *o)
{
	static const struct option longopts[] = {
		{"prometheus", required_argument, NULL, 'p'},
		{"store", required_argument, NULL, 's'},
		{"host-profile", required_argument, NULL, 'H'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->host_profile = "host";
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
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
		case 'h':
			print_export_help();
			return -1;
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
	struct profile_store store;
	struct prom_sources src = {0};
	struct amz_err err = {0};
	int r;

	r = parse_export_opts(argc, argv, &o);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;

	/* The host now, its calibration if still valid, and every workload's recommendation. */
	if (host_detect(&host, &ho, &err) < 0 || profile_store_open(&store, o.store, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	src.host = &host;
	src.store = &store;
	src.host_profile = o.host_profile;
	r = report_prometheus_file(o.prometheus, &src, &err);
	if (r < 0)
		cli_error("%s", err.msg);
	profile_store_close(&store);
	host_free(&host);
	return r < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
