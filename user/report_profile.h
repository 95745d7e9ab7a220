/* Saved profiles for people: one profile as indented text, two side by side with ratios. */
#ifndef AMZ_REPORT_PROFILE_H
#define AMZ_REPORT_PROFILE_H

#include <stdio.h>

#include <json-c/json.h>

#include "profile.h"

/* Writes a duration, size or count in the unit its key names ("_ns", "_bytes"). */
void report_value(FILE *f, const char *key_path, double v);

void report_profile_text(FILE *f, const char *path, json_object *doc);
void report_profile_list(FILE *f, const struct profile_entry *list, size_t n);

/* Every number in either profile, side by side with the ratio B/A, and every differing text. */
void report_profile_diff(FILE *f, const char *name_a, json_object *a, const char *name_b,
			 json_object *b);

#endif
