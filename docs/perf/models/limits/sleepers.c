// sleepers: what a thread costs per wake-up when all it does is sleep.
//
// THREADS threads pinned to CPU 1 each sleep 1 ms in nanosleep(2) in a
// loop for SECONDS; the process's CPU time (getrusage) over the wake-ups
// is the cost of a thread that blocks and is woken: the system call, the
// timer and the two context switches, with no Go runtime and no network
// in it. A thread pool whose workers block once per message pays at
// least this per message on top of the rest of its work.
//
//   cc -O2 -pthread -o sleepers sleepers.c && ./sleepers 100 3
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static atomic_long wakes;
static atomic_int stop;

static void *sleeper(void *arg) {
	(void)arg;
	struct timespec ms = {0, 1000000};
	long n = 0;
	while (!atomic_load(&stop)) {
		nanosleep(&ms, NULL);
		n++;
	}
	atomic_fetch_add(&wakes, n);
	return NULL;
}

int main(int argc, char **argv) {
	int threads = argc > 1 ? atoi(argv[1]) : 100;
	double seconds = argc > 2 ? atof(argv[2]) : 3;
	if (threads < 1 || threads > 4096) {
		fprintf(stderr, "usage: sleepers THREADS(1-4096) SECONDS\n");
		return 2;
	}
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0) {
		perror("sched_setaffinity");
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_t *t = calloc(threads, sizeof *t);
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, sleeper, NULL);
	struct timespec run = {(long)seconds, (long)((seconds - (long)seconds) * 1e9)};
	nanosleep(&run, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	// The elapsed time, not SECONDS: with enough threads to fill the
	// CPU, the main thread waits its turn to stop them.
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	long w = atomic_load(&wakes);
	printf("%d threads: %.0f wake-ups/s, %.2f us of CPU per wake-up, CPU 1 %.0f%% busy\n",
	       threads, w / elapsed, cpu * 1e6 / w, 100 * cpu / elapsed);
	return 0;
}
