/* USDT chunk markers for parallel workloads: amzprof attaches to them when the traced binary
 * has them and reports chunks, items per chunk, chunk duration and the gaps between chunks
 * exactly. A marker is a single no-op instruction when nothing is attached. */
#ifndef AMORSIZE_USDT_H
#define AMORSIZE_USDT_H

#include <sys/sdt.h>

/* A worker starts a chunk of COUNT items whose first item has index FIRST. */
#define AMZ_CHUNK_BEGIN(first, count)                                                              \
	DTRACE_PROBE2(amz, chunk_begin, (unsigned long long)(first), (unsigned long long)(count))

/* The same worker finished that chunk. */
#define AMZ_CHUNK_END(first, count)                                                                \
	DTRACE_PROBE2(amz, chunk_end, (unsigned long long)(first), (unsigned long long)(count))

#endif
