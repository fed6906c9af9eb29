/*
 * echo-cref: the reference ceiling for rawnet's bench harness.
 *
 * A minimal TCP echo server: one thread, one epoll set, level-triggered,
 * non-blocking sockets, raw framing (whatever arrives is written back).
 * Bytes a short write leaves behind wait in a per-connection buffer, and
 * the connection is not read again until they are out (backpressure).
 *
 * With --udp, a minimal UDP echo server: one non-blocking socket in one
 * epoll set, each wake-up reading datagrams with recvfrom until the socket
 * is empty and sending each back with sendto, one system call per
 * datagram each way. A reply the send buffer has no room for waits, and
 * the socket is not read again until it is out.
 *
 *   echo-cref [--addr host:port] [--udp] [--rcvbuf bytes]
 *
 * The address defaults to 127.0.0.1:9000 (9001 with --udp); --rcvbuf sets
 * SO_RCVBUF of the UDP socket, as echo-udp's flag does. It prints one line
 * when it listens and one with totals when SIGINT or SIGTERM stops it, in
 * the format of rawnet's echo-tcp and echo-udp.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	char *pend;      /* bytes not yet written back, or NULL */
	size_t len, off; /* pend holds [off, len) */
};

static volatile sig_atomic_t stop;
static struct conn *conns;
static unsigned long long accepted, bytes;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void die(const char *what) { perror(what); exit(1); }

static void drop(int ep, int fd) {
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd].pend);
	memset(&conns[fd], 0, sizeof conns[fd]);
}

/* watch switches fd between reading and draining its pending output. */
static void watch(int ep, int fd, unsigned events) {
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl");
}

/* put writes p back to fd, keeping what the socket does not take. */
static int put(int ep, int fd, const char *p, size_t n) {
	ssize_t w = write(fd, p, n);
	if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
	if (w < 0) w = 0;
	if ((size_t)w == n) return 0;
	struct conn *c = &conns[fd];
	c->pend = malloc(n - w);
	if (!c->pend) return -1;
	memcpy(c->pend, p + w, n - w);
	c->len = n - w;
	c->off = 0;
	watch(ep, fd, EPOLLOUT);
	return 0;
}

static int flush(int ep, int fd) {
	struct conn *c = &conns[fd];
	ssize_t w = write(fd, c->pend + c->off, c->len - c->off);
	if (w < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->off += w;
	if (c->off == c->len) {
		free(c->pend);
		c->pend = NULL;
		watch(ep, fd, EPOLLIN);
	}
	return 0;
}

static void accept_all(int ep, int ln) {
	for (;;) {
		int fd = accept4(ln, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				perror("accept4");
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
		accepted++;
	}
}

/* bind_to opens a socket of type on addr and binds it; sa receives the
 * address it got. */
static int bind_to(const char *addr, int type, int port, struct sockaddr_in *sa) {
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(addr, ':');
	if (colon) {
		size_t n = colon - addr;
		if (n > 0 && n < sizeof host) {
			memcpy(host, addr, n);
			host[n] = 0;
		}
		port = atoi(colon + 1);
	}
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		fprintf(stderr, "echo-cref: bad address %s (want IPv4 host:port)\n", addr);
		exit(2);
	}
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)sa, sizeof *sa) < 0)
		die("bind");
	socklen_t len = sizeof *sa;
	getsockname(fd, (struct sockaddr *)sa, &len);
	return fd;
}

static void print_listening(const char *net, struct sockaddr_in *sa) {
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
	printf("listening on %s %s:%d engine=cref framing=raw loops=1\n", net, ip, ntohs(sa->sin_port));
	fflush(stdout);
}

/* serve_udp is the --udp server; it returns main's exit status. */
static int serve_udp(const char *addr, int rcvbuf) {
	struct sockaddr_in bound;
	int fd = bind_to(addr, SOCK_DGRAM, 9001, &bound);
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
		die("SO_RCVBUF");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll");
	print_listening("udp", &bound);

	/* 64 KiB holds any UDP payload (at most 65,507 bytes over IPv4,
	 * udp(7)), so no datagram is ever cut short. */
	static char buf[64 << 10];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof from;
	ssize_t pend = -1; /* length of the reply in buf waiting for room, or -1 */
	unsigned long long datagrams = 0, bytes_in = 0, bytes_out = 0, dropped = 0;
	struct epoll_event evs[1];
	while (!stop) {
		if (epoll_wait(ep, evs, 1, -1) <= 0) continue;
		if (pend >= 0) {
			ssize_t w = sendto(fd, buf, pend, 0, (struct sockaddr *)&from, fromlen);
			if (w < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) continue;
			if (w < 0) dropped++;
			else bytes_out += w;
			pend = -1;
			watch(ep, fd, EPOLLIN);
		}
		for (;;) {
			fromlen = sizeof from;
			ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
			if (r < 0) {
				if (errno != EAGAIN && errno != EINTR) perror("recvfrom");
				break;
			}
			datagrams++;
			bytes_in += r;
			ssize_t w = sendto(fd, buf, r, 0, (struct sockaddr *)&from, fromlen);
			if (w >= 0) {
				bytes_out += w;
			} else if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
				/* No room in the send buffer (or the device queue,
				 * ENOBUFS, udp(7)): the reply waits for EPOLLOUT. */
				pend = r;
				watch(ep, fd, EPOLLOUT);
				break;
			} else {
				dropped++;
			}
		}
	}
	printf("totals: datagrams=%llu bytes_in=%llu bytes_out=%llu dropped=%llu\n",
	       datagrams, bytes_in, bytes_out, dropped);
	return 0;
}

int main(int argc, char **argv) {
	const char *addr = NULL;
	int udp = 0, rcvbuf = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--addr") && i + 1 < argc) addr = argv[++i];
		else if (!strncmp(argv[i], "--addr=", 7)) addr = argv[i] + 7;
		else if (!strcmp(argv[i], "--udp")) udp = 1;
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc) rcvbuf = atoi(argv[++i]);
		else if (!strncmp(argv[i], "--rcvbuf=", 9)) rcvbuf = atoi(argv[i] + 9);
		else { fprintf(stderr, "usage: echo-cref [--addr host:port] [--udp] [--rcvbuf bytes]\n"); return 2; }
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	conns = calloc(rl.rlim_cur, sizeof *conns);
	if (!conns) die("calloc");

	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (udp) return serve_udp(addr ? addr : "127.0.0.1:9001", rcvbuf);

	struct sockaddr_in bound;
	int ln = bind_to(addr ? addr : "127.0.0.1:9000", SOCK_STREAM, 9000, &bound);
	if (listen(ln, 4096) < 0) die("listen");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.fd = ln};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ln, &lev) < 0) die("epoll");
	print_listening("tcp", &bound);

	static char buf[64 << 10];
	struct epoll_event evs[256];
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ln) {
				accept_all(ep, ln);
			} else if (conns[fd].pend) {
				if (flush(ep, fd) < 0) drop(ep, fd);
			} else {
				ssize_t r = read(fd, buf, sizeof buf);
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) drop(ep, fd);
				else if (r > 0) {
					bytes += r;
					if (put(ep, fd, buf, r) < 0) drop(ep, fd);
				}
			}
		}
	}
	printf("totals: accepted=%llu bytes_in=%llu bytes_out=%llu\n", accepted, bytes, bytes);
	return 0;
}
