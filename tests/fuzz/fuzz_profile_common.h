/* What both profile fuzz targets do with a file's bytes: decode, load every section the way
 * amzprof does (calibration, host, workload and its trace), and render the result as show and
 * diff would. */
#ifndef AMZ_FUZZ_PROFILE_COMMON_H
#define AMZ_FUZZ_PROFILE_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "calibrate.h"
#include "host.h"
#include "profile.h"
#include "report_profile.h"
#include "workload.h"

static inline json_object *fuzz_child(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* The loaders of a host profile's host section and of a whole workload profile. */
static inline void fuzz_sections(json_object *doc)
{
	struct amz_err err = {0};
	struct workload_run w;
	struct amz_host h;
	char fp[1024];

	if (host_from_json(&h, fuzz_child(doc, "host"), &err) == 0) {
		host_fingerprint(&h, fp, sizeof(fp));
		host_free(&h);
	}
	if (workload_from_json(doc, &w, &err) == 0)
		workload_free(&w);
}

static inline void fuzz_profile_bytes(const uint8_t *data, size_t size)
{
	struct amz_err err = {0};
	struct amz_calibration cal;
	json_object *doc = NULL;
	FILE *sink;

	if (profile_decode(data, size, -1, &doc, &err) < 0)
		return;
	calibrate_from_json(&cal, fuzz_child(doc, "calibration"), &err);
	fuzz_sections(doc);

	sink = fopen("/dev/null", "w");
	if (sink) {
		report_profile_text(sink, "fuzz", doc);
		report_profile_diff(sink, "a", doc, "b", doc);
		fclose(sink);
	}
	json_object_put(doc);
}

#endif
