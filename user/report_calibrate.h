/* A calibration for people: each figure with its spread, or why it was not measured. */
#ifndef AMZ_REPORT_CALIBRATE_H
#define AMZ_REPORT_CALIBRATE_H

#include <stdio.h>

#include "calibrate.h"

void report_calibration_text(FILE *f, const struct amz_calibration *c);

#endif
