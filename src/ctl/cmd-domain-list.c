/* domain-list: every live domain, its pool and its settings. */
#include "ctl/cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/dom.h"
#include "poold/engine.h"

/* Lists the domains by ascending domid. */
static int cmd_domain_list(struct engine *eng, json_t *args, json_t **ret, struct perr *e)
{
	json_t *doms = json_array();
	size_t n;
	const struct dom *d = engine_doms(eng, &n);

	if (doms == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(doms, ctl_dom_json(eng, &d[i])) != 0) {
			json_decref(doms);
			return -ENOMEM;
		}
	}
	*ret = json_pack("{s:o}", "domains", doms);
	return *ret != NULL ? 0 : -ENOMEM;
}

/* The index of the first domain of d[0..n) above domid (d ascends). */
static size_t doms_above(const struct dom *d, size_t n, uint32_t domid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid].domid <= domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The same listing, n domains at a time. A domain is listed as it is when
 * its slice is made; one created meanwhile with a domid already passed
 * waits for the next listing, as it would had it come a moment later.
 */
static bool slice_domain_list(const struct engine *eng, struct ctl_slice *sl, unsigned n)
{
	static const char head[] = "{\"domains\":[", tail[] = "]}";
	size_t nr;
	const struct dom *d = engine_doms(eng, &nr);
	size_t i = sl->items > 0 ? doms_above(d, nr, sl->cursor) : 0;

	if (!sl->started) {
		if (!ctl_slice_add(sl, head, sizeof(head) - 1))
			return true;
		sl->started = true;
	}
	for (; i < nr && n > 0; i++, n--) {
		json_t *o = ctl_dom_json(eng, &d[i]);
		char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		bool ok = text != NULL && (sl->items == 0 || ctl_slice_add(sl, ",", 1)) &&
		          ctl_slice_add(sl, text, strlen(text));

		free(text);
		json_decref(o);
		if (!ok) {
			sl->failed = true;
			return true;
		}
		sl->items++;
		sl->cursor = d[i].domid;
	}
	if (i < nr)
		return false;
	ctl_slice_add(sl, tail, sizeof(tail) - 1);
	return true;
}

const struct ctl_cmd ctl_cmd_domain_list = {
    .name = "domain-list",
    .flags = CTL_CMD_CACHEABLE,
    .fn = cmd_domain_list,
    .slice = slice_domain_list,
    .help = "list domains: pool, vCPUs, weight and cap (user and written)",
    .synopsis = "",
};
