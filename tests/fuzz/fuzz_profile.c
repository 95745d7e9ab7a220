/* Fuzz target: the bytes of a profile file through gzip, JSON, the envelope checks, every
 * section loader and the text renderers. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_profile_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_profile_bytes(data, size);
	return 0;
}
