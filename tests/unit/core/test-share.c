/* Unit tests of the share controller on synthetic usage traces from a model of a pinned pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/share.h"

#define MAXM 64

/*
 * One pool and the scheduler that runs it, as Xen behaves with vCPUs hard
 * pinned to the pool's pCPUs while the rest of the host idles: credit1
 * splits a pCPU equally among the vCPUs that want it, whatever their
 * weights (measured: 256:768 gives 1:1.02); credit2 follows weights, but
 * not exactly (1:2.74 for 1:3), modelled as weight^0.9. Each member is
 * bounded by its demand, its vCPUs and the cap written.
 */
struct pool_fx {
	struct share_pool p;
	struct share_member m[MAXM];
	unsigned weight[MAXM];
	double demand[MAXM]; /* % of one pCPU it would use unhindered */
	size_t n;
	unsigned ncpus, pool_cap;
	bool credit2;
	double noise;   /* +- this many % of one pCPU on each measurement */
	double cap_eff; /* a capped member gets this much of its cap at most (credit1 parks) */
	unsigned seed;
	double got[MAXM]; /* what each member used in the last period */
	bool fresh[MAXM]; /* joined this period: nothing measured yet */
	unsigned periods;
	size_t writes; /* caps changed, summed over every period */
	struct share_tuning t;
};

static void fx_init(struct pool_fx *fx, unsigned ncpus, bool credit2)
{
	memset(fx, 0, sizeof(*fx));
	fx->ncpus = ncpus;
	fx->credit2 = credit2;
	fx->seed = 12345;
	fx->cap_eff = 1.0;
	share_tuning_default(&fx->t);
}

/* Adds a member of 1 vCPU (or vcpus) wanting `demand`. */
static size_t fx_add(struct pool_fx *fx, unsigned weight, unsigned vcpus, double demand)
{
	size_t i = fx->n++;

	fx->m[i] = (struct share_member){.id = (uint32_t)i + 1,
	                                 .mass = (uint64_t)weight * vcpus,
	                                 .vcpus = vcpus,
	                                 .use = -1,
	                                 .entitled = -1};
	fx->weight[i] = weight;
	fx->demand[i] = demand;
	fx->fresh[i] = true;
	return i;
}

/* Removes member i (it left the pool): the others close up. */
static void fx_remove(struct pool_fx *fx, size_t i)
{
	memmove(&fx->m[i], &fx->m[i + 1], (fx->n - i - 1) * sizeof(fx->m[0]));
	memmove(&fx->weight[i], &fx->weight[i + 1], (fx->n - i - 1) * sizeof(fx->weight[0]));
	memmove(&fx->demand[i], &fx->demand[i + 1], (fx->n - i - 1) * sizeof(fx->demand[0]));
	memmove(&fx->fresh[i], &fx->fresh[i + 1], (fx->n - i - 1) * sizeof(fx->fresh[0]));
	fx->n--;
}

static double jitter(struct pool_fx *fx)
{
	fx->seed = fx->seed * 1103515245u + 12345u;
	return fx->noise * (((fx->seed >> 8) % 2001) / 1000.0 - 1.0);
}

/* Runs one period of the scheduler under the caps in m[].cap. */
static void fx_schedule(struct pool_fx *fx)
{
	double limit[MAXM], mass[MAXM], left = 100.0 * fx->ncpus;
	bool done[MAXM];

	for (size_t i = 0; i < fx->n; i++) {
		double phys = 100.0 * (fx->m[i].vcpus < fx->ncpus ? fx->m[i].vcpus : fx->ncpus);

		limit[i] = fmin(fx->demand[i], phys);
		if (fx->m[i].cap)
			limit[i] = fmin(limit[i], fx->m[i].cap * fx->cap_eff);
		mass[i] = fx->m[i].vcpus * (fx->credit2 ? pow(fx->weight[i], 0.9) : 1.0);
		fx->got[i] = 0;
		done[i] = limit[i] <= 0;
	}
	for (;;) {
		double w = 0;
		bool clipped = false;

		for (size_t i = 0; i < fx->n; i++)
			w += done[i] ? 0 : mass[i];
		if (w <= 0 || left <= 1e-9)
			break;
		for (size_t i = 0; i < fx->n; i++) {
			if (!done[i] && limit[i] - fx->got[i] <= left * mass[i] / w) {
				left -= limit[i] - fx->got[i];
				fx->got[i] = limit[i];
				done[i] = clipped = true;
			}
		}
		if (clipped)
			continue;
		for (size_t i = 0; i < fx->n; i++)
			if (!done[i])
				fx->got[i] += left * mass[i] / w;
		break;
	}
}

/* One period: the pool runs, then the controller sees what each member used. */
static size_t fx_period(struct pool_fx *fx)
{
	size_t changed;

	fx_schedule(fx);
	for (size_t i = 0; i < fx->n; i++) {
		fx->m[i].use = fx->fresh[i] ? -1 : fmax(0, fx->got[i] + jitter(fx));
		fx->fresh[i] = false;
	}
	changed = share_step(&fx->p, fx->ncpus, fx->pool_cap, fx->m, fx->n, &fx->t);
	/* FXDBG=1 prints every period: use, cap, entitlement, wanting. */
	if (getenv("FXDBG")) {
		for (size_t i = 0; i < fx->n; i++)
			fprintf(stderr, " [u%.1f c%u e%.1f w%d]", fx->m[i].use, fx->m[i].cap,
			        fx->m[i].entitled, fx->m[i].wanting);
		fprintf(stderr, " act%d ch%zu\n", fx->p.active, changed);
	}
	fx->writes += changed;
	fx->periods++;
	return changed;
}

/* Runs periods; returns how many of the last `quiet` changed a cap. */
static size_t fx_run(struct pool_fx *fx, unsigned periods, unsigned quiet)
{
	size_t late = 0;

	for (unsigned k = 0; k < periods; k++) {
		size_t c = fx_period(fx);

		if (k + quiet >= periods)
			late += c;
	}
	fx_schedule(fx);
	return late;
}

/* Each member's part of what the pool used, in %. */
static double part(const struct pool_fx *fx, size_t i)
{
	double sum = 0;

	for (size_t j = 0; j < fx->n; j++)
		sum += fx->got[j];
	return sum > 0 ? 100.0 * fx->got[i] / sum : 0;
}

static double total(const struct pool_fx *fx)
{
	double sum = 0;

	for (size_t j = 0; j < fx->n; j++)
		sum += fx->got[j];
	return sum;
}

static void assert_near(double want, double got, double tol)
{
	if (fabs(want - got) > tol)
		fail_msg("want %.2f +- %.2f, got %.2f", want, tol, got);
}

/* The seed's pitfall: 256:768 on one pinned pCPU gives 1:1 under credit1; caps make it 1:3. */
static void test_credit1_two_members(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_schedule(&fx);
	assert_near(50, part(&fx, 0), 0.1); /* without the controller */
	/* Converged within 3 periods (1 to measure, 1 to cap, 1 to check) and quiet after. */
	fx_run(&fx, 3, 0);
	assert_near(25, part(&fx, 0), 1);
	assert_near(75, part(&fx, 1), 1);
	assert_near(100, total(&fx), 1);
	assert_int_equal(fx_run(&fx, 20, 20), 0);
	assert_near(25, part(&fx, 0), 1);
	assert_true(fx.p.active);
	assert_near(25, fx.m[0].entitled, 0.5);
	assert_near(75, fx.m[1].entitled, 0.5);
	assert_int_equal(fx.m[0].cap + fx.m[1].cap, 100);
}

/*
 * Real credit1 delivers a cap short: it parks a capped vCPU for whole 30 ms
 * accounting periods. The caps then follow what the guests get, not what
 * was asked, until the uses are the entitlements.
 */
static void test_credit1_caps_short(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx.cap_eff = 0.9;
	fx.noise = 0.5;
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_run(&fx, 8, 0);
	assert_near(25, part(&fx, 0), 1.5);
	assert_near(97, total(&fx), 3);
	assert_true(fx_run(&fx, 20, 15) <= 1);
	assert_near(25, part(&fx, 0), 1.5);
	assert_true(fx.m[0].cap > 25 && fx.m[1].cap > 75);

	/* A pool cap of 50: the caps may pass it, the members together may not. */
	fx_init(&fx, 1, false);
	fx.cap_eff = 0.9;
	fx.pool_cap = 50;
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	/* The static split the daemon writes without the controller. */
	fx.m[0].base_cap = fx.m[0].cap = 12;
	fx.m[1].base_cap = fx.m[1].cap = 37;
	for (int k = 0; k < 15; k++) {
		fx_period(&fx);
		assert_true(fx.m[0].cap + fx.m[1].cap <= 50 * 1.15 + 1);
		assert_true(total(&fx) <= 51);
	}
	assert_near(50, total(&fx), 2);
	assert_near(25, part(&fx, 0), 2);
	assert_true(fx_run(&fx, 10, 10) <= 1);

	fx_init(&fx, 2, false);
	fx.cap_eff = 0.9;
	fx_add(&fx, 1, 1, 100);
	fx_add(&fx, 2, 1, 100);
	fx_add(&fx, 4, 1, 100);
	fx_run(&fx, 10, 0);
	assert_near(100.0 / 6, part(&fx, 0), 1.5);
	assert_near(200.0 / 6, part(&fx, 1), 1.5);
	assert_near(50, part(&fx, 2), 1.5);
	assert_int_equal(fx_run(&fx, 10, 10), 0);
}

/* credit2 is close without caps; the controller makes it exact too. */
static void test_credit2_two_members(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, true);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_schedule(&fx);
	assert_true(part(&fx, 0) > 26); /* the model's imperfection: 1:2.7 */
	assert_int_equal(fx_run(&fx, 25, 20), 0);
	assert_near(25, part(&fx, 0), 1);
}

/* 1:2:4 on 2 pCPUs: the 4 is bounded by its one vCPU, the rest splits 1:2. */
static void test_three_members_two_cpus(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 2, false);
	fx_add(&fx, 1, 1, 100);
	fx_add(&fx, 2, 1, 100);
	fx_add(&fx, 4, 1, 100);
	assert_int_equal(fx_run(&fx, 25, 20), 0);
	assert_near(100.0 / 6, part(&fx, 0), 1);
	assert_near(200.0 / 6, part(&fx, 1), 1);
	assert_near(50, part(&fx, 2), 1);
	assert_near(200, total(&fx), 2);
	/* The one at its vCPU bound needs no cap: pinning bounds it. */
	assert_int_equal(fx.m[2].cap, 0);
}

/* A member using less than its share keeps what it uses; the other takes the rest. */
static void test_light_member_keeps_its_use(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 40);
	assert_int_equal(fx_run(&fx, 25, 20), 0);
	assert_near(40, fx.got[1], 1);
	assert_near(60, fx.got[0], 1.5);
	assert_near(100, total(&fx), 1.5);
}

/* Demand just under capacity: each gets all it wants after a short probe, then quiet. */
static void test_near_saturation(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx.noise = 0.5;
	fx_add(&fx, 256, 1, 48);
	fx_add(&fx, 768, 1, 48);
	assert_true(fx_run(&fx, 30, 20) <= 1);
	assert_near(48, fx.got[0], 1);
	assert_near(48, fx.got[1], 1);
}

/* Nobody contends: no cap is ever written. */
static void test_not_saturated_writes_nothing(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 2, false);
	fx_add(&fx, 256, 1, 60);
	fx_add(&fx, 768, 1, 60);
	fx_add(&fx, 256, 2, 50);
	fx_run(&fx, 10, 10);
	assert_int_equal(fx.writes, 0);
	assert_false(fx.p.active);
	for (size_t i = 0; i < fx.n; i++) {
		assert_int_equal(fx.m[i].cap, 0);
		assert_true(fx.m[i].entitled < 0);
	}
}

/* Every member busy on its own pCPU: saturated, yet nobody is held back: no cap. */
static void test_saturated_by_pinning_alone(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 2, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_run(&fx, 10, 10);
	assert_int_equal(fx.writes, 0);
	assert_near(100, fx.got[0], 0.1);
	assert_near(100, fx.got[1], 0.1);
}

/* A member that goes idle: the other gets the whole pCPU within two periods. */
static void test_member_goes_idle(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_run(&fx, 5, 0);
	assert_near(25, part(&fx, 0), 1);
	fx.demand[1] = 0;
	fx_run(&fx, 2, 0);
	assert_true(fx.got[0] >= 97);
	/* And when it comes back, its share within three. */
	fx.demand[1] = 100;
	fx_run(&fx, 3, 0);
	assert_near(75, part(&fx, 1), 1);
	assert_int_equal(fx_run(&fx, 10, 10), 0);
}

/*
 * One period in which the scheduler delivers every cap short (seen on
 * credit1 under load: 75 % of the pCPU in all, nobody near its cap) keeps
 * the caps; lifting them would cost seconds of a 1:1 split. The same drop
 * twice in a row is the pool wanting less: the caps go.
 */
static void test_short_period_keeps_caps(void **state)
{
	struct pool_fx fx;
	unsigned c0, c1;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_run(&fx, 5, 0);
	c0 = fx.m[0].cap;
	c1 = fx.m[1].cap;
	assert_true(c0 > 0 && c1 > 0);
	fx.cap_eff = 0.75;
	assert_int_equal(fx_period(&fx), 0);
	assert_true(total(&fx) < 80);
	assert_int_equal(fx.m[0].cap, c0);
	assert_int_equal(fx.m[1].cap, c1);
	fx.cap_eff = 1.0;
	assert_int_equal(fx_run(&fx, 10, 10), 0);
	assert_near(25, part(&fx, 0), 1);
	assert_true(fx.p.active);

	/*
	 * Both want less: nobody is held back meanwhile, and once the drop has
	 * lasted past the period of grace the caps are lifted.
	 */
	fx.demand[0] = 20;
	fx.demand[1] = 50;
	for (int k = 0; k < 3; k++) {
		fx_period(&fx);
		assert_near(20, fx.got[0], 0.5);
		assert_near(50, fx.got[1], 0.5);
	}
	assert_false(fx.p.active);
	assert_int_equal(fx.m[0].cap, 0);
	assert_int_equal(fx.m[1].cap, 0);
	/* And with room, one that wants more again gets it at once. */
	fx.demand[1] = 80;
	fx_run(&fx, 1, 0);
	assert_near(80, fx.got[1], 0.5);
}

/* One member alone busy from the start: it is never held below the pool. */
static void test_alone_busy(void **state)
{
	struct pool_fx fx;
	double sum = 0;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 0);
	fx_add(&fx, 512, 1, 0);
	for (int k = 0; k < 20; k++) {
		fx_period(&fx);
		sum += fx.got[0];
	}
	assert_true(sum / 20 >= 97);
}

/* A user cap bounds the result, and what it leaves goes to the others. */
static void test_user_cap_respected(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx_add(&fx, 768, 1, 100);
	fx_add(&fx, 256, 1, 100);
	fx.m[0].user_cap = fx.m[0].base_cap = fx.m[0].cap = 20;
	for (int k = 0; k < 20; k++) {
		fx_period(&fx);
		assert_true(fx.m[0].cap >= 1 && fx.m[0].cap <= 20);
	}
	assert_near(20, fx.got[0], 0.5);
	assert_near(80, fx.got[1], 1.5);
}

/* A pool cap of 50 on one pCPU: never more than 50 in all, split 1:3, all of it to one alone. */
static void test_pool_cap(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx.pool_cap = 50;
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	/* The static split the daemon writes without the controller. */
	fx.m[0].base_cap = fx.m[0].cap = 12;
	fx.m[1].base_cap = fx.m[1].cap = 37;
	for (int k = 0; k < 20; k++) {
		fx_period(&fx);
		assert_true(fx.m[0].cap + fx.m[1].cap <= 50);
		assert_true(fx.m[0].cap > 0 && fx.m[1].cap > 0);
	}
	assert_near(50, total(&fx), 1);
	assert_near(25, part(&fx, 0), 2);
	fx.demand[1] = 0;
	fx_run(&fx, 3, 0);
	assert_true(fx.got[0] >= 44);
	assert_true(fx.m[0].cap + fx.m[1].cap <= 50);
}

/* A steady load seen through noisy measurements: no oscillation, no writes after converging. */
static void test_noise_steady(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 2, true);
	fx.noise = 1.0;
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 512, 1, 100);
	fx_add(&fx, 1024, 1, 100);
	fx_add(&fx, 256, 1, 20);
	fx_run(&fx, 8, 0);
	fx.writes = 0;
	fx_run(&fx, 30, 0);
	assert_true(fx.writes <= 2);
	/* 20 kept; 1024 bounded by its vCPU; 80 left split 1:2. */
	assert_near(20, fx.got[3], 1.5);
	assert_near(100, fx.got[2], 1.5);
	assert_near(80.0 / 3, fx.got[0], 2);
	assert_near(160.0 / 3, fx.got[1], 2);
}

/* Members joining and leaving a capped pool: it converges again each time. */
static void test_join_and_leave(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_run(&fx, 5, 0);
	assert_true(fx.p.active);
	fx_add(&fx, 512, 1, 100);
	/* A newcomer is held to its weighted part until measured: 512 of 1536. */
	fx_period(&fx);
	assert_int_equal(fx.m[2].cap, 33);
	assert_int_equal(fx_run(&fx, 15, 10), 0);
	assert_near(100.0 / 6, part(&fx, 0), 1);
	assert_near(50, part(&fx, 1), 1);
	assert_near(100.0 / 3, part(&fx, 2), 1);
	fx_remove(&fx, 0);
	fx_run(&fx, 4, 0);
	assert_near(60, part(&fx, 0), 1);
	assert_near(40, part(&fx, 1), 1);
	assert_near(100, total(&fx), 1.5);
	assert_int_equal(fx_run(&fx, 10, 10), 0);
}

/* A pool whose scheduler splits it by weight already gets no cap (credit2, or a busy host). */
static void test_split_right_needs_no_caps(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 2, true);
	/* A 1:1:1 split is exact whatever the model does with weights. */
	for (unsigned k = 0; k < 30; k++)
		fx_add(&fx, 512, 1, 100);
	fx_run(&fx, 10, 0);
	assert_int_equal(fx.writes, 0);
	assert_false(fx.p.active);
	/*
	 * Parts of 2-6 % (1:2:3, 24 members on one pCPU): the model's credit2 is
	 * off by less than 1 % of a pCPU each, which whole-% caps could only
	 * round worse.
	 */
	fx_init(&fx, 1, true);
	for (unsigned k = 0; k < 24; k++)
		fx_add(&fx, 256 * (1 + k % 3), 1, 100);
	fx_run(&fx, 10, 0);
	assert_int_equal(fx.writes, 0);
	assert_false(fx.p.active);
}

/* dom0 is never capped: what it uses is set aside, the guests share the rest by weight. */
static void test_nocap_member(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 2, false);
	fx.m[fx_add(&fx, 256, 2, 20)].nocap = true;
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_add(&fx, 256, 1, 100);
	fx_run(&fx, 20, 0);
	for (int k = 0; k < 10; k++) {
		fx_period(&fx);
		assert_int_equal(fx.m[0].cap, 0);
	}
	/* 180 left: the 768 is bounded by its vCPU at 100, the two 256 split 80. */
	assert_near(20, fx.got[0], 1);
	assert_near(40, fx.got[1], 2);
	assert_near(100, fx.got[2], 1);
	assert_near(40, fx.got[3], 2);
}

/* Many pools at once, each with its own state: each converges to its own split. */
static void test_many_pools(void **state)
{
	static struct pool_fx fx[40];

	for (unsigned p = 0; p < 40; p++) {
		fx_init(&fx[p], 1 + p % 4, p % 2);
		for (unsigned k = 0; k < 2 + p % 5; k++)
			fx_add(&fx[p], 100 * (1 + (p + k) % 7), 1, 100);
	}
	for (int round = 0; round < 25; round++)
		for (unsigned p = 0; p < 40; p++)
			fx_period(&fx[p]);
	for (unsigned p = 0; p < 40; p++) {
		struct pool_fx *f = &fx[p];
		double mass = 0, level;

		fx_schedule(f);
		/* Expected: the weighted water-fill of ncpus pCPUs, each member at most 100. */
		for (size_t i = 0; i < f->n; i++)
			mass += f->weight[i];
		level = 100.0 * f->ncpus / mass;
		for (int it = 0; it < 8; it++) {
			double left = 100.0 * f->ncpus, m = 0;

			for (size_t i = 0; i < f->n; i++) {
				if (f->weight[i] * level >= 100)
					left -= 100;
				else
					m += f->weight[i];
			}
			if (m > 0)
				level = left / m;
		}
		for (size_t i = 0; i < f->n; i++) {
			double want = fmin(100, f->weight[i] * level);

			/* What the controller promises: within 1 % or 3 % of the weighted part. */
			if (fabs(want - f->got[i]) > fmax(1.5, 0.03 * want)) {
				for (size_t j = 0; j < f->n; j++)
					print_message(
					    "  m%zu w%u use %.2f cap %u ent %.2f want %d\n", j,
					    f->weight[j], f->got[j], f->m[j].cap, f->m[j].entitled,
					    f->m[j].wanting);
				fail_msg("pool %u member %zu: want %.2f got %.2f", p, i, want,
				         f->got[i]);
			}
		}
	}
}

/* Caps of a saturated pool never sum past its capacity (rounding included). */
static void test_caps_sum_within_capacity(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 3, false);
	for (unsigned k = 0; k < 7; k++)
		fx_add(&fx, 100 + 37 * k, 1, 100);
	fx_run(&fx, 10, 0);
	unsigned sum = 0;

	for (size_t i = 0; i < fx.n; i++)
		sum += fx.m[i].cap ? fx.m[i].cap : 100;
	assert_true(sum <= 300 + fx.n * fx.t.deadband);
	assert_near(300, total(&fx), 2);
}

/* share_reset puts every member back on its base cap and says how many changed. */
static void test_reset(void **state)
{
	struct pool_fx fx;

	fx_init(&fx, 1, false);
	fx_add(&fx, 256, 1, 100);
	fx_add(&fx, 768, 1, 100);
	fx_run(&fx, 5, 0);
	assert_true(fx.p.active);
	assert_int_equal(share_reset(&fx.p, fx.m, fx.n), 2);
	assert_false(fx.p.active);
	assert_int_equal(fx.m[0].cap, 0);
	assert_int_equal(share_reset(&fx.p, fx.m, fx.n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_credit1_two_members),
	    cmocka_unit_test(test_credit1_caps_short),
	    cmocka_unit_test(test_credit2_two_members),
	    cmocka_unit_test(test_three_members_two_cpus),
	    cmocka_unit_test(test_light_member_keeps_its_use),
	    cmocka_unit_test(test_near_saturation),
	    cmocka_unit_test(test_not_saturated_writes_nothing),
	    cmocka_unit_test(test_saturated_by_pinning_alone),
	    cmocka_unit_test(test_member_goes_idle),
	    cmocka_unit_test(test_short_period_keeps_caps),
	    cmocka_unit_test(test_alone_busy),
	    cmocka_unit_test(test_user_cap_respected),
	    cmocka_unit_test(test_pool_cap),
	    cmocka_unit_test(test_noise_steady),
	    cmocka_unit_test(test_join_and_leave),
	    cmocka_unit_test(test_split_right_needs_no_caps),
	    cmocka_unit_test(test_nocap_member),
	    cmocka_unit_test(test_many_pools),
	    cmocka_unit_test(test_caps_sum_within_capacity),
	    cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
