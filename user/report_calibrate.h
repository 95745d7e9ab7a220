/* A calibration for people: each figure with its spread, or why it was not measured; and for
 * tools, the document of `amzprof calibrate --json`. */
#ifndef AMZ_REPORT_CALIBRATE_H
#define AMZ_REPORT_CALIBRATE_H

#include <stdio.h>

#include "calibrate.h"

void report_calibration_text(FILE *f, const struct amz_calibration *c);

/* The layout of the `calibrate --json` document, in its "schema" key (docs/json.md). */
#define REPORT_CALIBRATE_SCHEMA 1

/* calibrate_to_json's figures under a "schema" and a "kind" of "calibration". */
int report_calibration_json(FILE *f, const struct amz_calibration *c);

#endif
