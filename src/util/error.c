/* The error messages that travel with POOLD_E_* codes. */
#include "util/error.h"

#include <stdio.h>
#include <string.h>

static const char *const error_names[POOLD_E_MAX] = {
    [POOLD_E_INVALID] = "invalid argument",      [POOLD_E_NOTFOUND] = "not found",
    [POOLD_E_EXISTS] = "already exists",         [POOLD_E_BUSY] = "in use",
    [POOLD_E_NOCPU] = "not enough free pCPUs",   [POOLD_E_PROTECTED] = "protected",
    [POOLD_E_HYPERVISOR] = "hypervisor refused", [POOLD_E_STATE] = "state file not durable",
    [POOLD_E_CORRUPT] = "corrupt file",
};

int perr_set(struct perr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *perr_name(int code)
{
	if (code < 0)
		return strerror(-code);
	if (code > 0 && code < POOLD_E_MAX && error_names[code] != NULL)
		return error_names[code];
	return code == 0 ? "success" : "unknown error";
}
