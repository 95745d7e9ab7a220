/* Advice: how a traced run's figures become the model's inputs, per shape of workload, with a
 * source for each; the host's limits reaching the model; refusals when nothing can be said. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "advice.h"

static void detect_fixture(struct amz_host *h, const char *name)
{
	struct host_opts o = {.no_env = true};
	struct amz_err err = {0};
	char root[512];

	snprintf(root, sizeof(root), "%s/tests/fixtures/sysroot/%s", AMZ_SOURCE_DIR, name);
	o.sysroot = root;
	if (host_detect(h, &o, &err) < 0)
		fail_msg("%s", err.msg);
}

/* A calibration with the figures the model uses, as a saved profile would hold them. */
static void calibration(struct amz_calibration *c)
{
	memset(c, 0, sizeof(*c));
	c->fork = (struct calib_figure){.measured = true, .median = 150e3, .n = 20};
	c->fork_sizes[0].fig = c->fork;
	c->n_fork_sizes = 1;
	c->thread = (struct calib_figure){.measured = true, .median = 15e3, .n = 20};
	c->posix_spawn = (struct calib_figure){.measured = true, .median = 250e3, .n = 20};
	c->pipe_cross = (struct calib_figure){.measured = true, .median = 15e3, .n = 20};
	c->ipc_pipe = (struct calib_figure){.measured = true, .median = 1, .n = 20};
}

/* Puts count values of v into the histogram, as the kernel would. */
static void hist_put(struct amz_hist *h, double v, unsigned long long count)
{
	int slot = v < 2 ? 0 : (int)floor(log2(v));

	h->slot[slot] += count;
	h->count += count;
	h->sum += (unsigned long long)(v * (double)count);
	if (v > h->max)
		h->max = (unsigned long long)v;
}

static struct amz_trace *bpf_trace(void)
{
	struct amz_trace *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->source, sizeof(t->source), "bpf");
	t->wall_ns = 300000000;
	return t;
}

static void advise(struct advice *a, const char *fixture, struct amz_trace *t,
		   const struct workload_hints *h, bool expect_ok)
{
	struct amz_calibration c;
	struct amz_host host;
	struct amz_err err = {0};
	int r;

	calibration(&c);
	detect_fixture(&host, fixture);
	advice_from_host(a, &host, &c, t->k.c.processes > 0, 10 << 20);
	r = advice_from_trace(a, t, h, &err);
	if (!r)
		r = advice_optimize(a, &err);
	host_free(&host);
	if (expect_ok && r < 0)
		fail_msg("%s", err.msg);
	if (!expect_ok)
		assert_int_equal(r, -1);
}

/* Chunks of ns nanoseconds each, on a CPU all that time. */
static void put_busy_chunks(struct amz_trace *t, double ns, unsigned long long count)
{
	hist_put(&t->k.chunk_cpu_ns, ns, count);
	hist_put(&t->k.chunk_ns, ns, count);
}

/* The threads' first chunks: how many, their items and their CPU time in all. */
static void put_first_chunks(struct amz_trace *t, unsigned long long chunks,
			     unsigned long long items, unsigned long long cpu_ns)
{
	t->k.c.first_chunks = chunks;
	t->k.c.first_items = items;
	t->k.c.first_cpu_ns = cpu_ns;
}

static void test_markers_give_items_and_cpu_time_per_item(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.threads = 2;
	t->k.c.chunks = 100;
	t->k.c.chunk_items = 400;
	t->k.c.runq_ns = 400000000;
	hist_put(&t->k.chunk_cpu_ns, 4e6, 100);
	hist_put(&t->k.chunk_ns, 8e6, 100);
	advise(&a, "v2-host", t, &h, true);

	assert_int_equal(a.shape, SHAPE_MARKERS);
	assert_true(a.absolute);
	assert_true(a.work.items == 400);
	assert_true(a.current_k == 4);
	/* CPU time, not the doubled wall time of chunks that waited for a CPU. */
	assert_true(fabs(a.work.item_ns - 1e6) < 1);
	assert_non_null(strstr(a.in[IN_ITEM_NS].source, "CPU time"));
	assert_true(a.result.best.n >= 1);
	/* libamorsize's pool, which the markers show, starts every worker before a chunk. */
	assert_true(a.host.start_together);
	/* A trace saved before first chunks were counted has none: no warm-up is made up. */
	assert_true(a.work.warmup_ns == 0);
	assert_non_null(strstr(a.in[IN_WARMUP].source, "not recorded"));
	advice_free(&a);
	free(t);
}

/* Two forks: the parent spends 100 us in each clone call, and one child waits 3 ms for a CPU.
 * The parent pays its clone calls one after another; the waits are side by side. */
static void test_spawn_splits_the_parents_clone_from_the_childs_wait(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.processes = 2;
	t->k.c.chunks = 100;
	t->k.c.chunk_items = 400;
	put_busy_chunks(t, 4e6, 100);
	hist_put(&t->k.spawn_ns, 150e3, 1);
	hist_put(&t->k.spawn_ns, 3.1e6, 1);
	hist_put(&t->k.clone_ns, 100e3, 2);
	hist_put(&t->k.first_run_ns, 50e3, 1);
	hist_put(&t->k.first_run_ns, 3e6, 1);
	advise(&a, "v2-host", t, &h, true);

	assert_true(fabs(a.host.spawn_ns - 100e3) < 1);
	assert_true(fabs(a.host.start_wait_ns - 1.525e6) < 1);
	assert_non_null(strstr(a.in[IN_SPAWN].source, "paid once"));
	advice_free(&a);

	/* Seen between its clone calls, the parent spent 300 us a worker, its own work included. */
	hist_put(&t->k.clone_gap_ns, 300e3, 1);
	advise(&a, "v2-host", t, &h, true);
	assert_true(fabs(a.host.spawn_ns - 300e3) < 1);
	assert_non_null(strstr(a.in[IN_SPAWN].source, "gap from one to the next"));
	advice_free(&a);

	/* One gap of 20 ms among 200 us ones is the parent doing something else: not a start. */
	hist_put(&t->k.clone_gap_ns, 200e3, 6);
	hist_put(&t->k.clone_gap_ns, 20e6, 1);
	advise(&a, "v2-host", t, &h, true);
	assert_true(a.host.spawn_ns > 100e3 && a.host.spawn_ns < 400e3);
	advice_free(&a);

	/* Without the clone calls (no syscall hooks), the whole latency is a worker's start. */
	memset(&t->k.clone_ns, 0, sizeof(t->k.clone_ns));
	advise(&a, "v2-host", t, &h, true);
	assert_true(fabs(a.host.spawn_ns - 1.625e6) < 1);
	assert_true(a.host.start_wait_ns == 0);
	advice_free(&a);
	free(t);
}

/* Two threads whose first chunk of 6 items fault in their memory: 15 ms, then 3 ms a chunk. */
static void test_first_chunks_give_warmup_and_later_ones_the_item_time(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.processes = 2;
	t->k.c.chunks = 8;
	t->k.c.chunk_items = 48;
	put_first_chunks(t, 2, 12, 30000000);
	put_busy_chunks(t, 3e6, 6);
	put_busy_chunks(t, 15e6, 2);
	advise(&a, "v2-host", t, &h, true);

	assert_true(fabs(a.work.item_ns - 0.5e6) < 1);
	assert_true(fabs(a.work.warmup_ns - 12e6) < 1);
	assert_true(fabs(a.in[IN_WARMUP].value - 12e6) < 1);
	assert_non_null(strstr(a.in[IN_WARMUP].source, "first chunk over its later ones"));
	/* The later chunks are alike: the first ones' length is no spread of items. */
	assert_true(a.work.item_cv == 0);
	advice_free(&a);
	free(t);
}

/* Items that vary widely: first chunks a little longer than the mean are no warm-up. */
static void test_first_chunks_within_the_spread_are_no_warmup(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.threads = 4;
	t->k.c.chunks = 40;
	t->k.c.chunk_items = 400;
	put_first_chunks(t, 4, 40, 4 * 5000000ull);
	put_busy_chunks(t, 1e6, 20);
	put_busy_chunks(t, 8e6, 20);
	advise(&a, "v2-host", t, &h, true);

	assert_true(a.work.warmup_ns == 0);
	assert_non_null(strstr(a.in[IN_WARMUP].source, "none seen"));
	assert_true(fabs(a.work.item_ns - 180e6 / 400) < 1);
	advice_free(&a);
	free(t);
}

/* Chunks that sleep 90% of their time: each worker needs a tenth of a CPU. */
static void test_sleeping_chunks_count_cpus_in_the_part_they_use(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;
	int cpus;

	(void)state;
	t->k.c.threads = 2;
	t->k.c.chunks = 100;
	t->k.c.chunk_items = 100;
	hist_put(&t->k.chunk_cpu_ns, 0.1e6, 100);
	hist_put(&t->k.chunk_ns, 1e6, 100);
	advise(&a, "v2-host", t, &h, true);
	cpus = (int)a.in[IN_CPUS].value;
	assert_true(fabs(a.work.item_ns - 1e6) < 1);
	assert_int_equal(a.host.logical_cpus, cpus);
	assert_non_null(strstr(a.in[IN_CPUS].source, "on a CPU 10%"));
	assert_true(a.result.best.n > 4);
	advice_free(&a);
	free(t);
}

/* 50 processes of 20 ms of CPU each, without records of them: each taken for a chunk. */
static struct amz_trace *process_per_chunk_trace(double spawn_ns, double exec_ns)
{
	struct amz_trace *t = bpf_trace();

	t->k.c.processes = 50;
	t->k.c.execs = 50;
	t->k.c.cpu_ns = 50 * 20000000ull;
	hist_put(&t->k.spawn_ns, spawn_ns, 50);
	hist_put(&t->k.exec_ns, exec_ns, 50);
	return t;
}

static void test_process_per_chunk_charges_spawn_and_exec_per_chunk(void **state)
{
	struct workload_hints h = {.items = 500, .chunksize = 10, .jobs = 2};
	struct amz_trace *t = process_per_chunk_trace(200e3, 500e3);
	struct advice a;

	(void)state;
	advise(&a, "v2-host", t, &h, true);

	assert_int_equal(a.shape, SHAPE_PROCESS_PER_CHUNK);
	assert_false(a.host.start_together);
	assert_true(a.host.spawn_ns == 0);
	assert_true(fabs(a.host.dispatch_ns - 700e3) < 1);
	assert_true(fabs(a.work.item_ns - 2e6) < 1);
	assert_true(a.predicted_current > 0);
	advice_free(&a);
	free(t);
}

static void add_record(struct amz_trace *t, const char *comm, double cpu_ns)
{
	struct amz_task_stats *r = &t->top[t->ntop++];

	memset(r, 0, sizeof(*r));
	r->pid = r->tgid = 1000 + t->ntop;
	r->cpu_ns = (unsigned long long)cpu_ns;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
}

/* xargs -n 50 run by a script: 8 chunk processes, and the script's own commands beside them. */
static void test_process_per_chunk_counts_only_the_chunk_command(void **state)
{
	static const char *const helpers[] = {"sh", "seq",  "xargs", "mktemp", "date", "date",
					      "wc", "sort", "cksum", "cut",    "awk",  "sort"};
	struct workload_hints h = {.items = 400, .chunksize = 50, .jobs = 2};
	struct amz_trace *t = bpf_trace();
	struct advice a;
	unsigned int i;

	(void)state;
	for (i = 0; i < 8; i++)
		add_record(t, "chunk", 40e6 + 1e6 * (i % 2));
	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		add_record(t, helpers[i], 1e6);
	/* xargs, the third helper, started every chunk's process. */
	for (i = 0; i < 8; i++)
		t->top[i].ppid = t->top[8 + 2].tgid;
	t->k.c.processes = t->k.c.execs = t->ntop;
	t->k.c.cpu_ns = 8 * 40.5e6 + 12e6;
	hist_put(&t->k.burst_ns, 2e6, 100);
	hist_put(&t->k.burst_ns, 30e3, 1000);
	hist_put(&t->k.spawn_ns, 200e3, t->ntop);
	hist_put(&t->k.exec_ns, 100e3, t->ntop);
	advise(&a, "v2-host", t, &h, true);

	assert_int_equal(a.shape, SHAPE_PROCESS_PER_CHUNK);
	/* A chunk is a 'chunk' process: 40.5 ms over 50 items, not the run's CPU over 20 execs. */
	assert_true(fabs(a.work.item_ns - 40.5e6 / 50) < 1);
	assert_non_null(strstr(a.in[IN_ITEM_NS].source, "8 'chunk' processes"));
	/* Their CPU times differ by 2.5%, not as the script's bursts do. */
	assert_true(a.work.item_cv < 0.2);
	/* Taken from the bursts, the spread would be that of the script's short commands, and
	 * the chunks would be cut small for it. */
	assert_true(a.result.best.k >= 25);
	advice_free(&a);
	free(t);
}

/* Python's Pool.map started through a pyenv shim: the shim's bash exec'd a dozen helpers
 * before python3, but the busiest processes are the python3 workers the main one forked, a
 * pool, not a process per chunk. */
static void test_workers_forked_by_their_own_program_are_a_pool(void **state)
{
	struct workload_hints h = {.items = 2000, .chunksize = 250, .jobs = 2};
	struct amz_trace *t = bpf_trace();
	struct advice a;
	unsigned int i;

	(void)state;
	add_record(t, "python3", 450e6);
	add_record(t, "python3", 440e6);
	add_record(t, "python3", 150e6);
	t->top[0].ppid = t->top[1].ppid = t->top[2].tgid;
	for (i = 0; i < 12; i++)
		add_record(t, i % 2 ? "pyenv" : "bash", 1e6);
	t->k.c.processes = t->ntop;
	t->k.c.execs = t->ntop - 2;
	t->k.c.cpu_ns = 150e6 + 890e6 + 12e6;
	hist_put(&t->k.burst_ns, 50e6, 20);
	hist_put(&t->k.spawn_ns, 200e3, t->ntop);
	advise(&a, "v2-host", t, &h, true);

	assert_int_equal(a.shape, SHAPE_WORKERS);
	/* The two workers' CPU time over the 8 chunks --items and --chunksize make. */
	assert_true(fabs(a.work.item_ns - 890e6 / 2000) < 1);
	advice_free(&a);
	free(t);
}

/* With more processes than records, --items and --chunksize give the count of chunks; the
 * script's shell, busier than any one chunk, is not taken for the chunk command. */
static void test_process_per_chunk_beyond_the_records_uses_the_hinted_count(void **state)
{
	struct workload_hints h = {.items = 4000, .chunksize = 10, .jobs = 2};
	struct amz_trace *t = bpf_trace();
	struct advice a;
	unsigned int i;

	(void)state;
	add_record(t, "sh", 5e6);
	while (t->ntop < AMZ_TRACE_TOP_TASKS)
		add_record(t, "chunk", 2e6);
	t->k.c.processes = t->k.c.execs = 402;
	t->k.c.cpu_ns = 400 * 2e6 + 5e6 + 1e6;
	for (i = 0; i < 2; i++)
		hist_put(&t->k.spawn_ns, 200e3, 201);
	advise(&a, "v2-host", t, &h, true);

	assert_true(fabs(a.work.item_ns - (400 * 2e6 + 1e6) / 400 / 10) < 1);
	assert_non_null(strstr(a.in[IN_ITEM_NS].source, "all but the others seen"));
	advice_free(&a);
	free(t);
}

/* A chunk's process costs at least calibration's spawn of a small binary to its reaped exit,
 * which includes the loading and the exit that spawn and exec latencies leave out. */
static void test_process_per_chunk_pays_at_least_a_whole_process_trip(void **state)
{
	struct workload_hints h = {.items = 500, .chunksize = 10, .jobs = 2};
	struct amz_trace *t = process_per_chunk_trace(50e3, 50e3);
	struct advice a;

	(void)state;
	advise(&a, "v2-host", t, &h, true);

	assert_true(fabs(a.host.dispatch_ns - 250e3) < 1);
	assert_non_null(strstr(a.in[IN_DISPATCH].source, "posix_spawn"));
	advice_free(&a);
	free(t);
}

static void test_workers_without_items_answer_in_chunk_duration(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;
	json_object *j;

	(void)state;
	t->k.c.threads = 2;
	t->k.c.cpu_ns = 600000000;
	hist_put(&t->k.burst_ns, 100e3, 6000);
	hist_put(&t->k.burst_ns, 3e3, 100);
	advise(&a, "v2-host", t, &h, true);

	assert_int_equal(a.shape, SHAPE_WORKERS);
	assert_false(a.absolute);
	assert_true(a.current_chunk_ns > 64e3 && a.current_chunk_ns < 200e3);
	assert_true(a.scale_k > 0);
	j = advice_to_json(&a);
	assert_null(json_object_object_get(j, "chunksize"));
	assert_true(test_json_double(j, "target_chunk_ns") > 0);
	json_object_put(j);
	advice_free(&a);
	free(t);
}

/* Chunks that vary widely make factoring worth weighing, but a program such as xargs or
 * Pool.map can only cut chunks of one size: the advice must be one it can apply. */
static void test_black_box_pools_are_advised_fixed_chunks(void **state)
{
	struct workload_hints h = {.items = 20000, .chunksize = 1, .jobs = 2};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.processes = 2;
	t->k.c.cpu_ns = 2000000000;
	hist_put(&t->k.burst_ns, 20e3, 15000);
	hist_put(&t->k.burst_ns, 2e6, 500);
	advise(&a, "v2-host", t, &h, true);
	assert_int_equal(a.shape, SHAPE_WORKERS);
	assert_true(a.work.item_cv > 0.5);
	assert_true(a.host.fixed_only);
	assert_int_equal(a.result.best.schedule, MODEL_FIXED);
	advice_free(&a);
	free(t);
}

/* A task record as the tracer keeps it. */
static void task_put(struct amz_trace *t, unsigned int pid, bool thread, double cpu_ns,
		     unsigned long long bursts)
{
	struct amz_task_stats *task = &t->top[t->ntop++];

	task->pid = pid;
	task->tgid = thread ? 100 : pid;
	task->is_thread = thread;
	task->cpu_ns = (unsigned long long)cpu_ns;
	task->bursts = bursts;
	t->k.c.cpu_ns += (unsigned long long)cpu_ns;
}

/* Python's Pool.map: two worker processes that run many chunks per burst, the parent's start-up
 * in its first thread, and handler threads whose work grows with the chunks. */
static void test_pool_map_items_from_workers_and_hand_off_from_helpers(void **state)
{
	struct workload_hints h = {.items = 2000, .chunksize = 10, .jobs = 2};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.processes = 2;
	t->k.c.threads = 3;
	task_put(t, 101, false, 150e6, 5);
	task_put(t, 102, false, 150e6, 5);
	task_put(t, 100, false, 80e6, 15);
	task_put(t, 103, true, 14e6, 180);
	task_put(t, 104, true, 4e6, 185);
	hist_put(&t->k.burst_ns, 30e6, 10);
	hist_put(&t->k.burst_ns, 20e3, 380);
	advise(&a, "v2-host", t, &h, true);

	assert_int_equal(a.shape, SHAPE_WORKERS);
	assert_float_equal(a.work.item_ns, 300e6 / 2000, 1);
	assert_float_equal(a.work.item_cv, 0, 1e-9);
	assert_non_null(strstr(a.in[IN_ITEM_CV].source, "several chunks in each burst"));
	assert_float_equal(a.host.dispatch_ns, 18e6 / 200, 1);
	assert_non_null(strstr(a.in[IN_DISPATCH].source, "helper threads"));
	advice_free(&a);
	free(t);
}

/* Helpers cheaper per chunk than calibration's hand-off leave calibration's figure. */
static void test_cheap_helpers_keep_the_calibrated_hand_off(void **state)
{
	struct workload_hints h = {.items = 2000, .chunksize = 10, .jobs = 2};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.processes = 2;
	task_put(t, 101, false, 150e6, 200);
	task_put(t, 102, false, 150e6, 200);
	task_put(t, 103, true, 1e6, 200);
	hist_put(&t->k.burst_ns, 1.5e6, 400);
	advise(&a, "v2-host", t, &h, true);

	assert_float_equal(a.host.dispatch_ns, 15e3, 1);
	assert_non_null(strstr(a.in[IN_DISPATCH].source, "calibration"));
	assert_null(a.in[IN_ITEM_CV].source[0] ? strstr(a.in[IN_ITEM_CV].source, "several") : NULL);
	advice_free(&a);
	free(t);
}

static void test_serial_run_without_items_is_refused(void **state)
{
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct amz_calibration c;
	struct amz_host host;
	struct amz_err err = {0};
	struct advice a;

	(void)state;
	t->k.c.cpu_ns = 1000000;
	calibration(&c);
	detect_fixture(&host, "v2-host");
	advice_from_host(&a, &host, &c, false, 0);
	assert_int_equal(advice_from_trace(&a, t, &h, &err), -1);
	assert_non_null(strstr(err.msg, "--items"));
	host_free(&host);
	free(t);
}

static void test_serial_run_with_items_is_advised(void **state)
{
	struct workload_hints h = {.items = 1000};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	t->k.c.cpu_ns = 1000000000;
	advise(&a, "v2-host", t, &h, true);
	assert_int_equal(a.shape, SHAPE_SERIAL);
	assert_true(fabs(a.work.item_ns - 1e6) < 1);
	assert_true(a.result.best.n > 1);
	advice_free(&a);
	free(t);
}

static void test_trace_without_bpf_is_refused(void **state)
{
	struct workload_hints h = {.items = 10};
	struct amz_trace *t = bpf_trace();
	struct advice a;

	(void)state;
	snprintf(t->source, sizeof(t->source), "userspace");
	advise(&a, "v2-host", t, &h, false);
	free(t);
}

static void test_quota_and_its_period_reach_the_model(void **state)
{
	struct amz_calibration c;
	struct amz_host host;
	struct advice a;

	(void)state;
	calibration(&c);
	detect_fixture(&host, "docker-v1-quota-1.5");
	advice_from_host(&a, &host, &c, true, 0);
	assert_true(a.host.quota_cpus == 1.5);
	assert_true(a.host.quota_period_ns == 100e6);
	assert_non_null(strstr(a.in[IN_QUOTA].source, "cpu.cfs_quota_us"));
	host_free(&host);
}

static void test_unmeasured_smt_is_taken_as_no_gain_and_said(void **state)
{
	struct amz_host host;
	struct advice a;

	(void)state;
	detect_fixture(&host, "smt-offline-cpus");
	advice_from_host(&a, &host, NULL, true, 0);
	assert_true(a.host.logical_cpus > a.host.physical_cores);
	assert_true(a.host.smt_scaling == 0.5);
	assert_non_null(strstr(a.in[IN_SMT].source, "not measured"));
	assert_non_null(strstr(a.in[IN_SPAWN].source, "no calibration"));
	host_free(&host);
}

static void test_json_has_the_documented_keys(void **state)
{
	static const char *const keys[] = {"schema", "jobs",   "chunksize", "speedup", "serial",
					   "reason", "inputs", "curve",	    "current"};
	struct workload_hints h = {0};
	struct amz_trace *t = bpf_trace();
	struct advice a;
	json_object *j;
	size_t i;

	(void)state;
	t->k.c.threads = 2;
	t->k.c.chunks = 10;
	t->k.c.chunk_items = 1000;
	hist_put(&t->k.chunk_cpu_ns, 1e6, 10);
	advise(&a, "v2-host", t, &h, true);
	j = advice_to_json(&a);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(j, keys[i], NULL))
			fail_msg("no %s", keys[i]);
	assert_true(test_json_double(j, "chunksize") >= 1);
	assert_true(test_json_double(j, "chunksize") <= 1000);
	json_object_put(j);
	advice_free(&a);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers_give_items_and_cpu_time_per_item),
		cmocka_unit_test(test_spawn_splits_the_parents_clone_from_the_childs_wait),
		cmocka_unit_test(test_sleeping_chunks_count_cpus_in_the_part_they_use),
		cmocka_unit_test(test_first_chunks_give_warmup_and_later_ones_the_item_time),
		cmocka_unit_test(test_first_chunks_within_the_spread_are_no_warmup),
		cmocka_unit_test(test_process_per_chunk_charges_spawn_and_exec_per_chunk),
		cmocka_unit_test(test_process_per_chunk_counts_only_the_chunk_command),
		cmocka_unit_test(test_workers_forked_by_their_own_program_are_a_pool),
		cmocka_unit_test(test_process_per_chunk_pays_at_least_a_whole_process_trip),
		cmocka_unit_test(test_process_per_chunk_beyond_the_records_uses_the_hinted_count),
		cmocka_unit_test(test_workers_without_items_answer_in_chunk_duration),
		cmocka_unit_test(test_black_box_pools_are_advised_fixed_chunks),
		cmocka_unit_test(test_pool_map_items_from_workers_and_hand_off_from_helpers),
		cmocka_unit_test(test_cheap_helpers_keep_the_calibrated_hand_off),
		cmocka_unit_test(test_serial_run_without_items_is_refused),
		cmocka_unit_test(test_serial_run_with_items_is_advised),
		cmocka_unit_test(test_trace_without_bpf_is_refused),
		cmocka_unit_test(test_quota_and_its_period_reach_the_model),
		cmocka_unit_test(test_unmeasured_smt_is_taken_as_no_gain_and_said),
		cmocka_unit_test(test_json_has_the_documented_keys),
	};

	return cmocka_run_group_tests_name("advice", tests, NULL, NULL);
}
