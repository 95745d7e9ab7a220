/* amzprof list | show | rm | diff: reading and tidying the saved profiles. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "profile.h"
#include "report_profile.h"

struct store_opts {
	const char *store;
	bool json;
	int verbosity;
	int first_arg; /* index of the first operand in argv */
};

/* Options every profile command takes: --store DIR, and --json where JSON applies. */
static int parse_store_opts(int argc, char **argv, bool json_allowed, struct store_opts *o)
{
	static const struct option longopts[] = {
		{"store", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":v", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->store = optarg;
			break;
		case 'j':
			if (!json_allowed)
				return cli_usage_error("'%s' has no --json output", argv[0]);
			o->json = true;
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

/* The options and operands of list, show, rm and diff, told apart by argv[0]. */
static int parse_profile_cmd(int argc, char **argv, struct store_opts *o)
{
	bool show = strcmp(argv[0], "show") == 0;
	int r = parse_store_opts(argc, argv, show, o);

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

int cmd_show(int argc, char **argv)
{
	struct store_opts o;
	struct profile_store s;
	json_object *doc;
	char path[4096];
	int r;

	r = parse_profile_cmd(argc, argv, &o);
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
