/* Picks a hypervisor backend by name. */
#include "hv/hv.h"

#include <errno.h>
#include <string.h>

int hv_open(struct hv **out, const char *name, const char *arg)
{
	if (strcmp(name, "xen") == 0)
		return hv_xen_open(out);
	if (strcmp(name, "sim") == 0)
		return hv_sim_open(out, arg);
	return -ENOENT;
}

struct hv *hv_close(struct hv *hv)
{
	if (hv != NULL)
		hv->ops->close(hv);
	return NULL;
}
