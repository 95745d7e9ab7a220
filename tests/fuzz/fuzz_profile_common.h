/* What both profile fuzz targets do with a file's bytes: decode, load every section the way
 * amzprof does (calibration, host, workload and its trace), recompute a workload's
 * recommendation as `amzprof recommend` would, and render the result as show and diff would. */
#ifndef AMZ_FUZZ_PROFILE_COMMON_H
#define AMZ_FUZZ_PROFILE_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "calibrate.h"
#include "host.h"
#include "report.h"
#include "profile.h"
#include "report_profile.h"
#include "workload.h"

static inline json_object *fuzz_child(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* The host a loaded run is recommended for: a captured tree, detected once. */
static inline const struct amz_host *fuzz_fixed_host(void)
{
	static struct amz_host h;
	static int state; /* 0 not tried, 1 detected, -1 failed */
	struct host_opts o = {.sysroot = AMZ_SOURCE_DIR "/tests/fixtures/sysroot/v2-host",
			      .no_env = true};
	struct amz_err err = {0};

	if (!state)
		state = host_detect(&h, &o, &err) == 0 ? 1 : -1;
	return state > 0 ? &h : NULL;
}

/* `amzprof recommend` on a loaded run: the model fed with whatever the file holds. */
static inline void fuzz_recommend(const struct workload_run *w, const struct amz_calibration *c)
{
	const struct amz_host *h = fuzz_fixed_host();
	struct amz_err err = {0};
	struct advice a;
	json_object *j;
	FILE *sink;

	if (!h)
		return;
	memset(&a, 0, sizeof(a));
	advice_from_host(&a, h, c, w->trace->k.c.processes > 0,
			 (double)w->trace->peak_rss_kib * 1024);
	if (advice_from_trace(&a, w->trace, &w->hints, &err) == 0 &&
	    advice_optimize(&a, &err) == 0) {
		sink = fopen("/dev/null", "w");
		if (sink) {
			report_advice_text(sink, &a);
			fclose(sink);
		}
		j = advice_to_json(&a);
		json_object_put(j);
	}
	advice_free(&a);
}

/* The loaders of a host profile's host section and of a whole workload profile. */
static inline void fuzz_sections(json_object *doc, const struct amz_calibration *c)
{
	struct amz_err err = {0};
	struct workload_run w;
	struct amz_host h;
	char fp[1024];

	if (host_from_json(&h, fuzz_child(doc, "host"), &err) == 0) {
		host_fingerprint(&h, fp, sizeof(fp));
		host_free(&h);
	}
	if (workload_from_json(doc, &w, &err) == 0) {
		fuzz_recommend(&w, c);
		workload_free(&w);
	}
}

static inline void fuzz_profile_bytes(const uint8_t *data, size_t size)
{
	struct amz_err err = {0};
	struct amz_calibration cal;
	json_object *doc = NULL;
	FILE *sink;

	if (profile_decode(data, size, -1, &doc, &err) < 0)
		return;
	/* A workload profile has no calibration: its recommendation then runs on none. */
	if (calibrate_from_json(&cal, fuzz_child(doc, "calibration"), &err) < 0)
		memset(&cal, 0, sizeof(cal));
	fuzz_sections(doc, &cal);

	sink = fopen("/dev/null", "w");
	if (sink) {
		report_profile_text(sink, "fuzz", doc);
		report_profile_diff(sink, "a", doc, "b", doc);
		fclose(sink);
	}
	json_object_put(doc);
}

#endif
