/* Domain uuids in their 36-character text form. */
#include "core/uuid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void uuid_format(const uint8_t u[16], char *buf)
{
	snprintf(buf, UUID_TEXT_LEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	         u[15]);
}

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int uuid_parse(const char *s, uint8_t u[16])
{
	uint8_t v[16];
	size_t n = 0;

	if (strlen(s) != UUID_TEXT_LEN)
		return -EINVAL;
	for (size_t i = 0; i < UUID_TEXT_LEN;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = hex_value(s[i]);
		lo = hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		v[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(u, v, sizeof(v));
	return 0;
}
