// wakecost: what a send costs the sender when it wakes its reader.
//
// A writer pinned to CPU 1 sends 64 bytes over a Unix socket pair every
// GAP microseconds of spinning; a reader pinned to CPU 0 either blocks
// in read(2), so that each send wakes a thread asleep on another CPU
// (an inter-processor interrupt), or polls with non-blocking reads and
// is never asleep. The writer's thread CPU time per send, the spin
// taken out, is the cost of the send with and without the wake-up.
//
//   cc -O2 -pthread -o wakecost wakecost.c && ./wakecost 20000 40
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int sv[2];
static int polls;
static volatile int stop;

static void pin(int cpu) {
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof s, &s) != 0) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static double clock_s(clockid_t id) {
	struct timespec t;
	clock_gettime(id, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *reader(void *arg) {
	(void)arg;
	char b[4096];
	pin(0);
	if (polls)
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
	while (!stop)
		if (read(sv[1], b, sizeof b) == 0)
			break;
	return NULL;
}

// run sends n messages gap seconds apart and returns the writer's CPU
// seconds per send beyond the spin (send == 0 measures the spin alone).
static double run(int n, double gap, int send) {
	char b[64] = {0};
	double start = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (int i = 0; i < n; i++) {
		double until = clock_s(CLOCK_MONOTONIC) + gap;
		while (clock_s(CLOCK_MONOTONIC) < until)
			;
		if (send && write(sv[0], b, sizeof b) != sizeof b) {
			perror("write");
			exit(1);
		}
	}
	return (clock_s(CLOCK_THREAD_CPUTIME_ID) - start) / n;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 20000;
	double gap = (argc > 2 ? atof(argv[2]) : 40) * 1e-6;
	for (polls = 0; polls <= 1; polls++) {
		stop = 0;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
			perror("socketpair");
			return 1;
		}
		pthread_t t;
		pthread_create(&t, NULL, reader, NULL);
		pin(1);
		usleep(100000);
		double spin = run(n, gap, 0);
		double all = run(n, gap, 1);
		printf("reader %-14s %d sends %.0f us apart: %.2f us of the writer's CPU per send\n",
		       polls ? "polling:" : "asleep in read:", n, gap * 1e6, (all - spin) * 1e6);
		stop = 1;
		close(sv[0]);
		pthread_join(t, NULL);
		close(sv[1]);
	}
	return 0;
}
