/* amzprof list | show | rm | diff: reading and tidying the saved profiles. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "profile.h"
#include "report_profile.h"
#include "report_svg.h"

/* The outputs a command has besides its text. */
#define OUT_JSON 1u
#define OUT_SVG	 2u

struct store_opts {
	const char *store;
	bool json;
	const char *svg;
	int verbosity;
	int first_arg; /* index of the first operand in argv */
};

#define STORE_OPTION                                                                               \
	"  --store DIR      the profile store (default: $AMZ_STORE, else "                         \
	"$XDG_STATE_HOME/amzprof\n"                                                                \
	"                   of the invoking user, the sudo caller under sudo)\n"                   \
	"  -v, --verbose    say more, on stderr\n"                                                 \
	"  -h, --help       show this help\n"

static const char list_help[] =
	"Usage: amzprof list [--store DIR] [-v]\n\n"
	"Lists the saved profiles: name, kind (host or workload) and when each was made; a\n"
	"damaged one is listed with the reason and left in place.\n\n" STORE_OPTION
	"\nExample:\n  amzprof list\n";

static const char show_help[] =
	"Usage: amzprof show NAME [--json] [--svg FILE] [--store DIR] [-v]\n\n"
	"Shows one saved profile: each figure in its unit, or with --json the whole stored\n"
	"document. --svg FILE also draws a workload profile's run: the predicted speedup over\n"
	"workers, its concurrency over time and its latency histograms.\n\n"
	"  --json           print the stored document (docs/json.md)\n"
	"  --svg FILE       write the run's plots to FILE (workload profiles)\n" STORE_OPTION
	"\nExamples:\n  amzprof show host\n  amzprof show make --svg make.svg\n"
	"  amzprof show make --json | jq .recommendation.jobs\n";

static const char diff_help[] =
	"Usage: amzprof diff A B [--store DIR] [-v]\n\n"
	"Compares two saved profiles, two hosts or two runs, number by number with the ratio\n"
	"B/A, and lists every text that differs.\n\n" STORE_OPTION
	"\nExample:\n  amzprof diff host laptop-host\n";

static const char rm_help[] =
	"Usage: amzprof rm NAME... [--store DIR] [-v]\n\n"
	"Removes saved profiles.\n\n" STORE_OPTION "\nExample:\n  amzprof rm make xargs\n";

/* Options every profile command takes: --store DIR, and --json and --svg FILE where they
 * apply (outputs); 0 to go on, -1 after --help, or a usage error's exit status. */
static int parse_store_opts(int argc, char **argv, unsigned outputs, const char *help,
			    struct store_opts *o)
{
	static const struct option longopts[] = {
		{"store", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"svg", required_argument, NULL, 'S'},	 {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return -1;
		case 's':
			o->store = optarg;
			break;
		case 'j':
			if (!(outputs & OUT_JSON))
				return cli_usage_error("'%s' has no --json output", argv[0]);
			o->json = true;
			break;
		case 'S':
			if (!(outputs & OUT_SVG))
				return cli_usage_error("'%s' has no --svg output", argv[0]);
			o->svg = optarg;
			break;
		case 'v':
			o->verbosity++;
			break;
		default:
			return cli_option_error(c, argv, argv[0]);
		}
	}
	o->first_arg = optind;
	cli_set_verbosity(o->verbosity);
	return 0;
}

static int want_operands(int argc, char **argv, const struct store_opts *o, int n, const char *what)
{
	if (argc - o->first_arg != n)
		return cli_usage_error("'%s' takes %s", argv[0], what);
	return 0;
}

/* The options and operands of list, show, rm and diff, told apart by argv[0]: 0 to go on, -1
 * after --help, or a usage error's exit status. */
static int parse_profile_cmd(int argc, char **argv, struct store_opts *o)
{
	bool show = strcmp(argv[0], "show") == 0;
	const char *help = show				  ? show_help
			   : strcmp(argv[0], "list") == 0 ? list_help
			   : strcmp(argv[0], "diff") == 0 ? diff_help
							  : rm_help;
	int r = parse_store_opts(argc, argv, show ? OUT_JSON | OUT_SVG : 0, help, o);

	if (r)
		return r;
	if (strcmp(argv[0], "list") == 0)
		return want_operands(argc, argv, o, 0, "no operands");
	if (show)
		return want_operands(argc, argv, o, 1, "one profile name");
	if (strcmp(argv[0], "diff") == 0)
		return want_operands(argc, argv, o, 2, "two profile names");
	if (argc - o->first_arg < 1)
		return cli_usage_error("'rm' takes one or more profile names");
	return 0;
}

int cmd_profile_parse(int argc, char **argv)
{
	struct store_opts o;

	return parse_profile_cmd(argc, argv, &o);
}

static int open_store(const struct store_opts *o, struct profile_store *s)
{
	struct amz_err err = {0};

	if (profile_store_open(s, o->store, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct store_opts o;
	struct profile_store s;
	struct profile_entry *list;
	struct amz_err err = {0};
	size_t n;
	int r;

	r = parse_profile_cmd(argc, argv, &o);
	if (r < 0)
		return CLI_EXIT_OK; /* --help */
	if (!r)
		r = open_store(&o, &s);
	if (r)
		return r;

	if (profile_list(&s, &list, &n, &err) < 0) {
		cli_error("%s", err.msg);
		profile_store_close(&s);
		return CLI_EXIT_FAILED;
	}
	report_profile_list(stdout, list, n);
	free(list);
	profile_store_close(&s);
	return CLI_EXIT_OK;
}

static int load_named(struct profile_store *s, const char *name, json_object **doc)
{
	struct amz_err err = {0};

	if (profile_load(s, name, -1, doc, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	return 0;
}

static int write_plots(const char *path, const char *name, json_object *doc)
{
	struct amz_err err = {0};

	if (report_svg_profile_file(path, name, doc, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILED;
	}
	return 0;
}

int cmd_show(int argc, char **argv)
{
	struct store_opts o;
	struct profile_store s;
	json_object *doc;
	char path[4096];
	int r;

	r = parse_profile_cmd(argc, argv, &o);
	if (r < 0)
		return CLI_EXIT_OK; /* --help */
	if (!r)
		r = open_store(&o, &s);
	if (r)
		return r;

	r = load_named(&s, argv[o.first_arg], &doc);
	if (!r && o.json)
		printf("%s\n",
		       json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (!r) {
		profile_path(&s, argv[o.first_arg], path, sizeof(path));
		report_profile_text(stdout, path, doc);
	}
	if (!r && o.svg)
		r = write_plots(o.svg, argv[o.first_arg], doc);
	json_object_put(doc);
	profile_store_close(&s);
	return r;
}

int cmd_rm(int argc, char **argv)
{
	struct store_opts o;
	struct profile_store s;
	struct amz_err err = {0};
	int i, r;

	r = parse_profile_cmd(argc, argv, &o);
	if (r < 0)
		return CLI_EXIT_OK; /* --help */
	if (!r)
		r = open_store(&o, &s);
	if (r)
		return r;

	for (i = o.first_arg; i < argc; i++) {
		if (profile_remove(&s, argv[i], &err) < 0) {
			cli_error("%s", err.msg);
			r = CLI_EXIT_FAILED;
		}
	}
	profile_store_close(&s);
	return r;
}

int cmd_diff(int argc, char **argv)
{
	struct store_opts o;
	struct profile_store s;
	json_object *a = NULL, *b = NULL;
	int r;

	r = parse_profile_cmd(argc, argv, &o);
	if (r < 0)
		return CLI_EXIT_OK; /* --help */
	if (!r)
		r = open_store(&o, &s);
	if (r)
		return r;

	r = load_named(&s, argv[o.first_arg], &a);
	if (!r)
		r = load_named(&s, argv[o.first_arg + 1], &b);
	if (!r)
		report_profile_diff(stdout, argv[o.first_arg], a, argv[o.first_arg + 1], b);
	json_object_put(a);
	json_object_put(b);
	profile_store_close(&s);
	return r;
}
