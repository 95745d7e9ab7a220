/* amzprof: parses the first word of the command line and hands the rest to that command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"--", cmd_trace, "run a workload under tracing and report its parallel costs"},
	{"host", cmd_host, "the CPUs and memory this process may use, and where each limit is"},
	{"calibrate", cmd_calibrate, "measure this host's spawn, dispatch and IPC costs, once"},
	{"recommend", cmd_recommend, "recompute a saved run's recommendation for this host"},
	{"run", cmd_run, "run a command with a saved run's recommendation applied"},
	{"list", cmd_list, "list the saved profiles"},
	{"show", cmd_show, "show a saved profile (--json: the whole document)"},
	{"diff", cmd_diff, "compare two saved profiles side by side, with ratios"},
	{"rm", cmd_rm, "remove saved profiles"},
	{"export", cmd_export, "write host limits, calibration and recommendations for Prometheus"},
};

static void print_help(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: amzprof [OPTIONS] -- COMMAND [ARGS...]\n"
		"       amzprof [OPTIONS] -p PID [-d SECONDS]\n"
		"       amzprof COMMAND [OPTIONS]\n\n"
		"Measures what spawning workers and handing them work cost on this host, in the\n"
		"kernel, and tells how many workers and what chunk size a parallel run should "
		"use.\n\n"
		"Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\nOptions of a traced run (before '--'):\n"
		"  -o, --output FILE      write the report to FILE instead of stderr\n"
		"      --json             write the report as JSON (docs/json.md)\n"
		"  -p, --pid PID          follow a running process and its descendants instead\n"
		"  -d, --duration S       with -p: stop after S seconds (default: when PID ends)\n"
		"      --trace FILE       write the run's timeline for Perfetto (Chrome trace "
		"JSON)\n"
		"      --trace-limit N    keep at most N timeline events (default 1000000)\n"
		"      --svg FILE         write plots: speedup over workers, concurrency over\n"
		"                         time, latency histograms\n"
		"      --prometheus FILE  write metrics for node_exporter's textfile collector\n"
		"      --items N          the workload's item count, for the recommendation\n"
		"      --jobs N           the workers it ran with\n"
		"      --chunksize K      the items per chunk it used\n"
		"      --name NAME        save the run as workload profile NAME (default: the\n"
		"                         program's name)\n"
		"      --store DIR        the profile store (default: $AMZ_STORE, else\n"
		"                         $XDG_STATE_HOME/amzprof)\n"
		"      --no-save          save no profile\n"
		"      --keep-root        under sudo, run COMMAND as root, not as the calling "
		"user\n"
		"  -v, --verbose          say what was detected and decided (-vv: libbpf's "
		"output)\n"
		"  -h, --help             show this help ('amzprof COMMAND --help' for a command)\n"
		"  -V, --version          show the version\n\n"
		"Exit status: the workload's own status when one ran (128+N if killed by signal "
		"N);\n"
		"125 when amzprof failed, 126 when COMMAND cannot be executed, 127 when it is not\n"
		"found; 128+N when signal N stopped amzprof before COMMAND started or after it\n"
		"ended; with -p and for other commands 0 on success, 1 on failure, 2 on a usage\n"
		"error. Without eBPF (not root, no CAP_BPF, no BTF) amzprof says why in one line\n"
		"and reports only what user space sees, marked as such. See amzprof(1).\n\n"
		"Examples:\n"
		"  sudo amzprof -- make -j8\n"
		"  sudo amzprof --items 100000 --svg run.svg --trace run.json -- ./mapper in.dat\n"
		"  sudo amzprof -p 4242 -d 10 --json -o run.json\n");
}

static const struct command *find_command(const char *word)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, word) == 0 && word[0] != '-')
			return &commands[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2)
		return cli_usage_error("no command given; to trace a program, run 'amzprof -- "
				       "PROGRAM ARGS'");

	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		print_help(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("amzprof %s\n", AMZ_VERSION);
		return CLI_EXIT_OK;
	}

	if (argv[1][0] == '-')
		return cmd_trace(argc, argv);

	cmd = find_command(argv[1]);
	if (!cmd)
		return cli_usage_error(
			"unknown command '%s'; to trace a program, put it after '--'", argv[1]);
	return cmd->run(argc - 1, argv + 1);
}
