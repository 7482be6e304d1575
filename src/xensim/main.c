/* xensim: a simulated Xen host, xenstore and hypervisor, for poold's tests, demos and benchmarks. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "xensim/cli.h"
#include "xensim/sim-xsd.h"
#include "xensim/sim.h"
#include "xensim/simctl.h"
#include "xensim/xsd.h"

struct opts {
	const char *dir;
	const char *xs_path;
	const char *hv_path;
	unsigned sockets, cores, threads, nodes;
	enum sim_sched sched;
	enum simctl_clock_mode clock;
	int verbose;
};

/* Prints the man-style help; the commands come from cli.c's table. */
static void usage(FILE *f)
{
	fprintf(
	    f,
	    "NAME\n"
	    "    xensim - a simulated Xen host: a xenstore server and a hypervisor model\n\n"
	    "SYNOPSIS\n"
	    "    xensim [--dir DIR] [--xenstore-socket PATH] [--hv-socket PATH]\n"
	    "           [--topology SxCxT] [--nodes N] [--sched credit|credit2]\n"
	    "           [--clock manual|real] [-v]\n"
	    "    xensim ctl [-S HV_SOCKET] [--json] COMMAND ...\n\n"
	    "DESCRIPTION\n"
	    "    xensim stands in for a Xen 4.17 host so that poold can be tested without one.\n"
	    "    It serves xenstore's wire protocol on one Unix socket (the real libxenstore\n"
	    "    and xenstore-* tools work with XENSTORED_PATH pointing at it) and the\n"
	    "    hypervisor protocol of src/xensim/simproto.h on another (poold's \"sim\"\n"
	    "    backend and 'xensim ctl' speak it). The hypervisor follows Xen's rules:\n"
	    "    vCPU hard affinity must meet the cpupool's cpus (else EINVAL), weights\n"
	    "    1..65535 with 0 = unchanged, caps up to 100 per vCPU, credit1's 0xFFFF =\n"
	    "    unchanged cap, EINVAL under the wrong scheduler, ESRCH for unknown domains.\n"
	    "    It counts every op and can inject faults.\n\n"
	    "    At start, domain 0 \"Domain-0\" has one vCPU per pCPU, affinity all, weight\n"
	    "    256, cap 0, and /local/domain/0/{name,domid}. Domain 0 is idle (load 0):\n"
	    "    'run' gives it no cpu time. Guests are busy (load 100) unless told. There\n"
	    "    is one cpupool, 0, with every pCPU. Domains are\n"
	    "    created the way libxl does it; a destroyed domain is still listed, dying,\n"
	    "    by the next 'domains' op after @releaseDomain, then it is gone.\n\n"
	    "    xensim runs in the foreground, prints one 'xensim: ready: ...' line on\n"
	    "    stdout when both sockets listen, and exits cleanly, removing the sockets,\n"
	    "    on SIGTERM or SIGINT. Logs go to stderr.\n\n"
	    "OPTIONS\n"
	    "    --dir DIR                directory of the sockets; default $XENSIM_DIR, else .\n"
	    "    --xenstore-socket PATH   xenstore socket; default DIR/xenstore.sock\n"
	    "    --hv-socket PATH         hypervisor socket; default DIR/hv.sock\n"
	    "    --topology SxCxT         sockets x cores per socket x threads per core;\n"
	    "                             default 1x4x1\n"
	    "    --nodes N                NUMA nodes, spread evenly over the sockets; default 1\n"
	    "    --sched credit|credit2   scheduler of cpupool 0; default credit2 (Xen 4.17's)\n"
	    "    --clock manual|real      what moves simulated time: only 'xensim ctl run'\n"
	    "                             (manual, the default), or real time as well, caught\n"
	    "                             up before each request that reads or changes it\n"
	    "    -v, --verbose            log more; repeat for debug\n"
	    "    -h, --help               print this help\n\n"
	    "COMMANDS\n"
	    "    'xensim ctl' talks to a running xensim through its hypervisor socket:\n"
	    "    -S HV_SOCKET (default $XENSIM_DIR/hv.sock, else ./hv.sock); --json prints\n"
	    "    the protocol's answer. Exit status: 0 ok, 1 refused (the errno name and why\n"
	    "    are printed), 2 usage, 3 xensim unreachable.\n\n");
	simcli_print_commands(f);
	fprintf(
	    f, "EXAMPLES\n"
	       "    xensim --dir /tmp/h --topology 2x4x2 --nodes 2 --sched credit &\n"
	       "    XENSTORED_PATH=/tmp/h/xenstore.sock xenstore-ls -p /local/domain\n"
	       "    export XENSIM_DIR=/tmp/h\n"
	       "    xensim ctl create vm1 vcpus=2 pool=pool1\n"
	       "    xensim ctl create evil pool=pool1 pool-owner=guest paused\n"
	       "    xensim ctl fault set_affinity errno=EBUSY count=2\n"
	       "    xensim ctl run 1000 && xensim ctl show\n"
	       "    xensim --dir /tmp/r --clock real & sleep 1; xensim ctl -S /tmp/r/hv.sock show\n"
	       "    xensim ctl destroy vm1\n");
}

/* Parses "SxCxT" into three positive numbers. */
static int parse_topology(const char *s, struct opts *o)
{
	char tail;

	if (sscanf(s, "%ux%ux%u%c", &o->sockets, &o->cores, &o->threads, &tail) != 3 ||
	    o->sockets == 0 || o->cores == 0 || o->threads == 0)
		return -1;
	return 0;
}

/* Parses the command line; returns -1 (usage error), 0 or 1 (help printed). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"xenstore-socket", required_argument, NULL, 'x'},
	    {"hv-socket", required_argument, NULL, 'H'},
	    {"topology", required_argument, NULL, 't'},
	    {"nodes", required_argument, NULL, 'n'},
	    {"sched", required_argument, NULL, 's'},
	    {"clock", required_argument, NULL, 'c'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char *end;
	int c, k;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 'x':
			o->xs_path = optarg;
			break;
		case 'H':
			o->hv_path = optarg;
			break;
		case 't':
			if (parse_topology(optarg, o) < 0) {
				fprintf(stderr, "xensim: --topology wants SxCxT, like 2x4x2\n");
				return -1;
			}
			break;
		case 'n':
			o->nodes = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o->nodes == 0) {
				fprintf(stderr, "xensim: --nodes wants a positive number\n");
				return -1;
			}
			break;
		case 's':
			k = sim_sched_parse(optarg);
			if (k < 0) {
				fprintf(stderr, "xensim: --sched is credit or credit2\n");
				return -1;
			}
			o->sched = (enum sim_sched)k;
			break;
		case 'c':
			k = simctl_clock_parse(optarg);
			if (k < 0) {
				fprintf(stderr, "xensim: --clock is manual or real\n");
				return -1;
			}
			o->clock = (enum simctl_clock_mode)k;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xensim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Stops the loop; the cleanup runs in main(). */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: exiting", (int)sig);
	event_base_loopbreak(arg);
}

static const char *plural(unsigned n, const char *word, char *buf, size_t len)
{
	snprintf(buf, len, "%u %s%s", n, word, n == 1 ? "" : "s");
	return buf;
}

/* Prints the ready line that harnesses wait for. */
static void print_ready(const struct opts *o, const char *xs, const char *hv)
{
	char a[32], b[32], c[32], d[32];

	printf("xensim: ready: %u pCPUs (%s x %s x %s, %s), sched %s, clock %s, xenstore %s, "
	       "hv %s\n",
	       o->sockets * o->cores * o->threads, plural(o->sockets, "socket", a, sizeof(a)),
	       plural(o->cores, "core", b, sizeof(b)), plural(o->threads, "thread", c, sizeof(c)),
	       plural(o->nodes, "node", d, sizeof(d)), sim_sched_name(o->sched),
	       simctl_clock_name(o->clock), xs, hv);
	fflush(stdout);
}

/* Brings the host up on base and runs it until a signal. */
static int serve(const struct opts *o, const char *xs_path, const char *hv_path)
{
	struct event_base *base = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	struct xsd *x = NULL;
	struct sim *s = NULL;
	struct simctl *ctl = NULL;
	struct topo *t = malloc(sizeof(*t));
	int r, ret = 1;

	if (t == NULL || topo_uniform(t, o->sockets, o->cores, o->threads, o->nodes) != 0) {
		fprintf(stderr,
		        "xensim: topology %ux%ux%u with %u nodes is not possible: use at "
		        "most %d cpus and nodes that divide evenly over sockets or cores\n",
		        o->sockets, o->cores, o->threads, o->nodes, CPUMAP_MAX);
		goto out;
	}
	base = event_base_new();
	if (base == NULL) {
		log_warnx("cannot create the event base");
		goto out;
	}
	r = xsd_new(&x, base, xs_path);
	if (r < 0) {
		log_warnx("cannot serve xenstore at %s: %s", xs_path, strerror(-r));
		goto out;
	}
	r = sim_new(&s, t, o->sched, &sim_xsd_ops, x);
	if (r < 0) {
		log_warnx("cannot boot the simulated host: %s", strerror(-r));
		goto out;
	}
	r = simctl_new(&ctl, base, s, x, hv_path, o->clock);
	if (r < 0) {
		log_warnx("cannot serve the hypervisor at %s: %s", hv_path, strerror(-r));
		goto out;
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) || evsignal_add(sigint, NULL)) {
		log_warnx("cannot handle signals");
		goto out;
	}
	print_ready(o, xs_path, hv_path);
	ret = event_base_dispatch(base) < 0 ? 1 : 0;
out:
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	simctl_free(ctl);
	sim_free(s);
	xsd_free(x);
	if (base)
		event_base_free(base);
	free(t);
	return ret;
}

/* Runs `xensim ctl ...`, or the simulated host until a signal. */
int main(int argc, char **argv)
{
	struct opts o = {
	    .sockets = 1, .cores = 4, .threads = 1, .nodes = 1, .sched = SIM_SCHED_CREDIT2};
	char *xs = NULL, *hv = NULL;
	int r;

	if (argc > 1 && strcmp(argv[1], "ctl") == 0)
		return simcli_main(argc - 1, argv + 1);
	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r < 0 ? 2 : 0;
	log_init("xensim", o.verbose > 1 ? LOG_LEVEL_DEBUG
	                   : o.verbose   ? LOG_LEVEL_INFO
	                                 : LOG_LEVEL_NOTICE);
	if (o.dir == NULL)
		o.dir = getenv("XENSIM_DIR") && *getenv("XENSIM_DIR") ? getenv("XENSIM_DIR") : ".";
	if ((o.xs_path == NULL && asprintf(&xs, "%s/xenstore.sock", o.dir) < 0) ||
	    (o.hv_path == NULL && asprintf(&hv, "%s/hv.sock", o.dir) < 0))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	r = serve(&o, o.xs_path ? o.xs_path : xs, o.hv_path ? o.hv_path : hv);
	free(xs);
	free(hv);
	return r;
}
