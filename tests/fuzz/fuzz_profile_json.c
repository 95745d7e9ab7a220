/* Fuzz target: JSON text compressed here, so that mutations reach the JSON parser, the envelope
 * checks, the section loaders and the renderers rather than dying in the gzip layer. */
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "fuzz_profile_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t gzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z = {0};
	size_t n;

	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	n = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
	deflateEnd(&z);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size + size / 8 + 256, n;
	uint8_t *gz = malloc(cap);

	if (!gz)
		return 0;
	n = gzip(data, size, gz, cap);
	if (n)
		fuzz_profile_bytes(gz, n);
	free(gz);
	return 0;
}
