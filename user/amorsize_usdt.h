/* USDT chunk markers for parallel workloads: amzprof attaches to them when the traced binary
 * has them and reports chunks, items per chunk, chunk duration and the gaps between chunks
 * exactly. A marker is a single no-op instruction when nothing is attached. */
#ifndef AMORSIZE_USDT_H
#define AMORSIZE_USDT_H

/* Each argument goes to the probe in a register. sys/sdt.h would otherwise also allow a memory
 * operand, which instrumented builds (-fsanitize) describe as an offset from a symbol
 * (8@8+opts(%rip)); libbpf reads only constants, registers and memory at a register plus an
 * offset, so the markers would not attach. A register costs at most one move at each marker. A
 * file that included sys/sdt.h before this header keeps that header's choice. */
#ifndef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT r
#endif
#include <sys/sdt.h>

/* A worker starts a chunk of COUNT items whose first item has index FIRST. */
#define AMZ_CHUNK_BEGIN(first, count)                                                              \
	DTRACE_PROBE2(amz, chunk_begin, (unsigned long long)(first), (unsigned long long)(count))

/* The same worker finished that chunk. */
#define AMZ_CHUNK_END(first, count)                                                                \
	DTRACE_PROBE2(amz, chunk_end, (unsigned long long)(first), (unsigned long long)(count))

#endif
