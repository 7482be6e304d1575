/* The ops that let the simulated hypervisor write to xensim's xenstore (ctx: struct xsd *). */
#pragma once

#include "xensim/sim.h"

extern const struct sim_xs_ops sim_xsd_ops;
