/* The simulated hypervisor's view of xensim's xenstore: sim_xs_ops over xsd. */
#include "xensim/sim-xsd.h"

#include "xensim/xsd.h"

static int xs_write(void *ctx, const char *path, const char *value)
{
	return xsd_write(ctx, path, value);
}

static int xs_set_perms(void *ctx, const char *path, const char *perms)
{
	return xsd_set_perms(ctx, path, perms);
}

static int xs_rm(void *ctx, const char *path)
{
	return xsd_rm(ctx, path);
}

static void xs_fire(void *ctx, const char *special)
{
	xsd_fire_special(ctx, special);
}

const struct sim_xs_ops sim_xsd_ops = {
    .write = xs_write,
    .set_perms = xs_set_perms,
    .rm = xs_rm,
    .fire = xs_fire,
};
