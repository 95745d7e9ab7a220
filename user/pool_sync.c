/* The pool's only blocking primitives: futex wait and wake on a 32-bit word, private to the
 * process for threads and shared through MAP_SHARED memory for processes. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pool.h"

static long futex(_Atomic uint32_t *word, int op, uint32_t val, bool shared)
{
	return syscall(SYS_futex, (uint32_t *)word, shared ? op : op | FUTEX_PRIVATE_FLAG, val,
		       NULL, NULL, 0);
}

/* Returns when *word is no longer val, or on any wakeup: callers re-check their condition. */
void pool_futex_wait(_Atomic uint32_t *word, uint32_t val, bool shared)
{
	futex(word, FUTEX_WAIT, val, shared);
}

void pool_futex_wake(_Atomic uint32_t *word, bool shared)
{
	futex(word, FUTEX_WAKE, INT_MAX, shared);
}

void pool_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}
