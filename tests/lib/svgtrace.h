/* A made-up but complete run for the plot tests: a series, every histogram, a command line. */
#ifndef AMZ_SVGTRACE_H
#define AMZ_SVGTRACE_H

#include <json-c/json.h>

#include "tracer.h"

/* Fills t with a run of 200 ms on a 0.5 ms grid whose concurrency climbs from 0 to 3, and
 * histograms of spawn, wakeup, burst, exec and chunk times spread over several slots. */
void svgtrace_fill(struct amz_trace *t);

/* A recommendation document as advice_to_json writes it: a curve over 1 to 8 workers that
 * peaks at 4 (3.2x, chunks of 16 items), and the run's own point, 2 workers measured at 1.5x. */
json_object *svgtrace_advice(void);

#endif
