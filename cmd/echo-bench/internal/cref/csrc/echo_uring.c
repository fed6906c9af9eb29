/*
 * echo-curing: the io_uring ceiling for rawnet's bench harness.
 *
 * A minimal TCP echo server on io_uring (liburing): one thread, one ring
 * set up with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
 * and one io_uring_submit_and_wait per loop iteration, which submits what
 * the last completions prepared and waits for the next. The listener has
 * a multishot accept; each connection a multishot recv that takes its
 * buffers from one provided buffer ring. A connection's received buffers
 * queue in order and go back out with one send in flight per connection
 * (a sendmsg over every queued buffer, up to SEND_IOVS); a buffer returns
 * to the ring once all its bytes are sent. Raw framing: whatever arrives
 * is written back. When the peer shuts down its side, everything received
 * is still echoed, then the connection is closed.
 *
 * With --udp, a minimal UDP echo server on the same ring: one socket with
 * a multishot recvmsg into the buffer ring and one sendmsg per datagram
 * back to its sender, the buffer returning to the ring when the send
 * completes.
 *
 *   echo-curing [--addr host:port] [--udp] [--rcvbuf bytes] [--bufs n]
 *
 * The command line and the listening and totals lines follow echo-cref
 * (csrc/echo.c), with three additions: --bufs sets the number of provided
 * buffers (a power of two up to 32768; a small one lets tests run the
 * ring dry), the listening line says engine=curing and the task-run mode
 * the kernel granted (taskrun=defer, or coop before Linux 6.1), and the
 * totals count in enobufs the recvs that ended for want of a buffer.
 * SIGINT and SIGTERM are blocked and read from a signalfd polled on the
 * ring, so a signal can never slip in between a check and the wait.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* liburing 2.3's headers define both flags, but a distribution may pair
 * an older liburing with a newer kernel; the values are the kernel's
 * (include/uapi/linux/io_uring.h, Linux 6.0 and 6.1). */
#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

/* Ring sizes. Multishot requests post many completions per submission,
 * so the completion queue is larger than the submission queue;
 * completions it cannot hold are kept by the kernel (IORING_FEAT_NODROP),
 * and a multishot request that meets a full queue ends without
 * IORING_CQE_F_MORE and is re-armed. */
#define SQ_ENTRIES 4096
#define CQ_ENTRIES (4 * SQ_ENTRIES)

/* Provided buffers: nbufs (a power of two, as the buffer ring wants;
 * NBUFS unless --bufs says otherwise) of BUF_SIZE bytes. A completion
 * takes a whole buffer however few bytes it carries, and holds it until
 * its bytes are sent back, so a connection that sends without reading
 * its echoes can hold many: the ring then runs dry (ENOBUFS) and the
 * recvs wait for buffers, their input in the socket. 64 KiB of payload matches echo-cref's read buffer and holds
 * any UDP datagram (at most 65,507 bytes over IPv4, udp(7)); the extra
 * 64 bytes hold recvmsg's io_uring_recvmsg_out header and the sender's
 * address. Only the pages the kernel writes become resident. */
#define NBUFS 2048
#define MAX_BUFS 32768 /* the buffer ring's limit */
#define BUF_SIZE ((64 << 10) + 64)
#define BGID 0

/* At most SEND_IOVS queued buffers go out in one sendmsg. */
#define SEND_IOVS 16

/* User data: the request's kind in the low byte, the descriptor (TCP) or
 * buffer id (UDP send) above it. */
enum { K_ACCEPT = 1, K_RECV, K_SEND, K_SIGNAL, K_UDP_RECV, K_UDP_SEND };
#define UD(kind, n) ((unsigned long long)(n) << 8 | (kind))

struct conn {
	int fd;
	unsigned char recv_armed; /* the multishot recv is in flight */
	unsigned char sending;    /* a send is in flight */
	unsigned char starved;    /* the recv ended with ENOBUFS: re-arm once buffers return */
	unsigned char eof;        /* the peer shut down its side */
	unsigned char dead;       /* an error: drop what is queued and close */
	int head, tail;           /* queued buffer ids, linked by bufs[].next; -1 when empty */
	struct msghdr msg;        /* the sendmsg in flight */
	struct iovec iov[SEND_IOVS];
};

/* The bytes of a queued buffer not yet sent are [off, len). */
static struct qbuf {
	unsigned len, off;
	int next;
} *bufs;
static int nbufs = NBUFS;

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *pool;       /* nbufs * BUF_SIZE bytes */
static int returned;     /* buffers added to the ring since its tail last moved */
static struct conn **conns;
static int *starved;     /* descriptors waiting for buffers */
static int nstarved, maxfd;
/* One reply per buffer in flight: its header must outlive the submission. */
static struct msghdr *udp_smsg;
static struct iovec *udp_siov;
static int stop;
/* enobufs counts the recvs that ended for want of buffers. */
static unsigned long long accepted, bytes_in, bytes_out, enobufs;

static void die(const char *what) { perror(what); exit(1); }

static void die_res(const char *what, int res) {
	fprintf(stderr, "%s: %s\n", what, strerror(-res));
	exit(1);
}

/* sqe returns a free submission entry, submitting the full queue first
 * when there is none. */
static struct io_uring_sqe *sqe(void) {
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (!s) {
		int r = io_uring_submit(&ring);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) die_res("io_uring_submit", r);
		s = io_uring_get_sqe(&ring);
		if (!s) die_res("io_uring_get_sqe", -EBUSY);
	}
	return s;
}

static char *buf_addr(int bid) { return pool + (size_t)bid * BUF_SIZE; }

/* give_back returns a buffer to the ring; the tail moves once per loop
 * iteration, in flush_returned. */
static void give_back(int bid) {
	io_uring_buf_ring_add(br, buf_addr(bid), BUF_SIZE, bid, io_uring_buf_ring_mask(nbufs), returned++);
}

static void setup_buffers(void) {
	size_t ring_size = nbufs * sizeof(struct io_uring_buf);
	/* liburing 2.3 has io_uring_register_buf_ring but not the later
	 * io_uring_setup_buf_ring, so the ring's memory is mapped here: it
	 * must be page aligned. */
	br = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED) die("mmap buffer ring");
	struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = nbufs, .bgid = BGID};
	int r = io_uring_register_buf_ring(&ring, &reg, 0);
	if (r < 0) die_res("io_uring_register_buf_ring (Linux 5.19 or later)", r);
	pool = mmap(NULL, (size_t)nbufs * BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED) die("mmap buffers");
	io_uring_buf_ring_init(br);
	bufs = calloc(nbufs, sizeof *bufs);
	udp_smsg = calloc(nbufs, sizeof *udp_smsg);
	udp_siov = calloc(nbufs, sizeof *udp_siov);
	if (!bufs || !udp_smsg || !udp_siov) die("calloc");
	for (int i = 0; i < nbufs; i++) give_back(i);
	io_uring_buf_ring_advance(br, returned);
	returned = 0;
}

/* setup_ring sets the ring up and returns the task-run mode it got. */
static const char *setup_ring(void) {
	struct io_uring_params p;
	/* DEFER_TASKRUN (Linux 6.1) runs completion work only when this
	 * thread waits in io_uring_enter, never by interrupting it; it
	 * requires SINGLE_ISSUER. An older kernel refuses the flags with
	 * EINVAL: COOP_TASKRUN (5.19) at least avoids the inter-processor
	 * interrupt that signals task work. */
	static const struct {
		unsigned flags;
		const char *name;
	} modes[] = {
		{IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "defer"},
		{IORING_SETUP_COOP_TASKRUN, "coop"},
	};
	int r = -EINVAL;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		memset(&p, 0, sizeof p);
		p.flags = modes[i].flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
		p.cq_entries = CQ_ENTRIES;
		r = io_uring_queue_init_params(SQ_ENTRIES, &ring, &p);
		if (r == 0) return modes[i].name;
		if (r != -EINVAL) break;
	}
	die_res("io_uring_queue_init_params", r);
	return NULL;
}

/* watch_signals blocks SIGINT and SIGTERM and polls a signalfd for them
 * on the ring: a signal handler could fire between the stop check and
 * io_uring_enter and leave the loop asleep. */
static void watch_signals(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die("sigprocmask");
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) die("signalfd");
	struct io_uring_sqe *s = sqe();
	io_uring_prep_poll_add(s, fd, POLLIN);
	io_uring_sqe_set_data64(s, UD(K_SIGNAL, fd));
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
		fprintf(stderr, "echo-curing: bad address %s (want IPv4 host:port)\n", addr);
		exit(2);
	}
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)sa, sizeof *sa) < 0)
		die("bind");
	socklen_t len = sizeof *sa;
	getsockname(fd, (struct sockaddr *)sa, &len);
	return fd;
}

static void print_listening(const char *net, struct sockaddr_in *sa, const char *taskrun) {
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
	printf("listening on %s %s:%d engine=curing framing=raw loops=1 taskrun=%s\n", net, ip, ntohs(sa->sin_port), taskrun);
	fflush(stdout);
}

/* wait_loop serves until a signal arrives. Each iteration moves the
 * buffer ring's tail over the buffers given back and lets refilled re-arm
 * what waited for them, then submits everything prepared and waits for a
 * completion in one io_uring_enter, and hands every completion to handle. */
static void wait_loop(void (*handle)(struct io_uring_cqe *), void (*refilled)(void)) {
	while (!stop) {
		if (returned) {
			io_uring_buf_ring_advance(br, returned);
			returned = 0;
			refilled();
		}
		int r = io_uring_submit_and_wait(&ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) die_res("io_uring_submit_and_wait", r);
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			handle(cqe);
			n++;
		}
		io_uring_cq_advance(&ring, n);
	}
	/* Completions already posted still count toward the totals: with
	 * DEFER_TASKRUN the kernel posts them only when asked. */
	io_uring_get_events(&ring);
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&ring, head, cqe) {
		handle(cqe);
		n++;
	}
	io_uring_cq_advance(&ring, n);
}

/* ---- TCP ---- */

static void arm_accept(int ln) {
	struct io_uring_sqe *s = sqe();
	io_uring_prep_multishot_accept(s, ln, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, UD(K_ACCEPT, ln));
}

static void arm_recv(struct conn *c) {
	struct io_uring_sqe *s = sqe();
	io_uring_prep_recv_multishot(s, c->fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, UD(K_RECV, c->fd));
	c->recv_armed = 1;
}

/* start_send sends what c has queued unless a send is in flight: one send
 * in flight per connection keeps the bytes in order. */
static void start_send(struct conn *c) {
	if (c->sending || c->head < 0 || c->dead) return;
	int n = 0;
	for (int b = c->head; b >= 0 && n < SEND_IOVS; b = bufs[b].next, n++) {
		c->iov[n].iov_base = buf_addr(b) + bufs[b].off;
		c->iov[n].iov_len = bufs[b].len - bufs[b].off;
	}
	struct io_uring_sqe *s = sqe();
	if (n == 1) {
		io_uring_prep_send(s, c->fd, c->iov[0].iov_base, c->iov[0].iov_len, MSG_NOSIGNAL);
	} else {
		memset(&c->msg, 0, sizeof c->msg);
		c->msg.msg_iov = c->iov;
		c->msg.msg_iovlen = n;
		io_uring_prep_sendmsg(s, c->fd, &c->msg, MSG_NOSIGNAL);
	}
	io_uring_sqe_set_data64(s, UD(K_SEND, c->fd));
	c->sending = 1;
}

/* drop_queue gives every queued buffer of c back. */
static void drop_queue(struct conn *c) {
	for (int b = c->head; b >= 0; b = bufs[b].next) give_back(b);
	c->head = c->tail = -1;
}

/* settle closes c once it is finished (end of input or an error) and no
 * request of its is in flight, so no completion can reach a newer
 * connection that reuses the descriptor. */
static void settle(struct conn *c) {
	if (c->recv_armed || c->sending || c->starved || !(c->eof || c->dead)) return;
	if (c->head >= 0 && !c->dead) {
		start_send(c);
		return;
	}
	drop_queue(c);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c);
}

static void on_accept(struct io_uring_cqe *cqe, int ln) {
	if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept(ln);
	int fd = cqe->res;
	if (fd < 0) {
		if (fd != -ECONNABORTED && fd != -EINTR) fprintf(stderr, "accept: %s\n", strerror(-fd));
		return;
	}
	if (fd >= maxfd) {
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct conn *c = calloc(1, sizeof *c);
	if (!c) die("calloc");
	c->fd = fd;
	c->head = c->tail = -1;
	conns[fd] = c;
	accepted++;
	arm_recv(c);
}

static void on_recv(struct io_uring_cqe *cqe, struct conn *c) {
	if (cqe->res > 0) {
		int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		bytes_in += cqe->res;
		if (c->dead) {
			give_back(bid);
		} else {
			bufs[bid].len = cqe->res;
			bufs[bid].off = 0;
			bufs[bid].next = -1;
			if (c->tail >= 0) bufs[c->tail].next = bid;
			else c->head = bid;
			c->tail = bid;
			start_send(c);
		}
	}
	if (cqe->flags & IORING_CQE_F_MORE) return;
	/* Without F_MORE the multishot recv has ended. */
	c->recv_armed = 0;
	if (cqe->res == 0) {
		c->eof = 1;
	} else if (cqe->res == -ENOBUFS) {
		/* The buffer ring ran dry: the input waits in the socket,
		 * and the recv is re-armed once buffers come back. */
		c->starved = 1;
		starved[nstarved++] = c->fd;
		enobufs++;
	} else if (cqe->res < 0) {
		c->dead = 1;
	} else if (!c->dead) {
		/* Ended with data, for instance on a full completion
		 * queue: there may be more. */
		arm_recv(c);
	}
	settle(c);
}

static void on_send(struct io_uring_cqe *cqe, struct conn *c) {
	c->sending = 0;
	if (cqe->res < 0) {
		c->dead = 1;
		drop_queue(c);
		/* Closing the descriptor would not end the recv: the
		 * request holds its own reference to the file. Shutting the
		 * socket down wakes it at once with the end of input, where
		 * an asynchronous cancel by descriptor could still be queued
		 * when the number is closed and reused. */
		if (c->recv_armed) shutdown(c->fd, SHUT_RDWR);
		settle(c);
		return;
	}
	unsigned left = cqe->res;
	bytes_out += left;
	while (c->head >= 0 && left > 0) {
		int b = c->head;
		unsigned n = bufs[b].len - bufs[b].off;
		if (n > left) {
			/* A short send: the rest goes in the next one. */
			bufs[b].off += left;
			break;
		}
		left -= n;
		c->head = bufs[b].next;
		give_back(b);
	}
	if (c->head < 0) c->tail = -1;
	start_send(c);
	settle(c);
}

static int listener;

static void handle_tcp(struct io_uring_cqe *cqe) {
	unsigned long long ud = io_uring_cqe_get_data64(cqe);
	int kind = ud & 0xff, fd = ud >> 8;
	switch (kind) {
	case K_ACCEPT:
		if (!stop) on_accept(cqe, listener);
		else if (cqe->res >= 0) close(cqe->res);
		return;
	case K_SIGNAL:
		stop = 1;
		return;
	}
	struct conn *c = conns[fd];
	if (!c) return;
	if (kind == K_RECV) on_recv(cqe, c);
	else if (kind == K_SEND) on_send(cqe, c);
}

/* rearm_starved re-arms the recvs that ended for want of buffers. */
static void rearm_starved(void) {
	int n = nstarved;
	nstarved = 0;
	for (int i = 0; i < n; i++) {
		struct conn *c = conns[starved[i]];
		if (!c) continue;
		c->starved = 0;
		if (c->dead || c->eof) settle(c);
		else arm_recv(c);
	}
}

static int serve_tcp(const char *addr, const char *taskrun) {
	struct sockaddr_in bound;
	listener = bind_to(addr, SOCK_STREAM, 9000, &bound);
	if (listen(listener, 4096) < 0) die("listen");
	arm_accept(listener);
	print_listening("tcp", &bound, taskrun);
	wait_loop(handle_tcp, rearm_starved);
	printf("totals: accepted=%llu bytes_in=%llu bytes_out=%llu enobufs=%llu\n", accepted, bytes_in, bytes_out, enobufs);
	return 0;
}

/* ---- UDP ---- */

static int udp_fd;
static int udp_starved;
/* The multishot recvmsg reads the name length and control length from
 * this header once, and lays every datagram out in its buffer as
 * io_uring_recvmsg_out, the sender's address, then the payload. */
static struct msghdr udp_rmsg = {.msg_namelen = sizeof(struct sockaddr_in)};
static unsigned long long datagrams, dropped;

static void arm_udp_recv(void) {
	struct io_uring_sqe *s = sqe();
	io_uring_prep_recvmsg_multishot(s, udp_fd, &udp_rmsg, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, UD(K_UDP_RECV, udp_fd));
}

static void on_udp_recv(struct io_uring_cqe *cqe) {
	if (cqe->res >= 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		int bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf_addr(bid), cqe->res, &udp_rmsg);
		if (!o || (o->flags & MSG_TRUNC)) {
			dropped++;
			give_back(bid);
		} else {
			unsigned n = io_uring_recvmsg_payload_length(o, cqe->res, &udp_rmsg);
			datagrams++;
			bytes_in += n;
			udp_siov[bid] = (struct iovec){io_uring_recvmsg_payload(o, &udp_rmsg), n};
			udp_smsg[bid] = (struct msghdr){
			    .msg_name = io_uring_recvmsg_name(o),
			    .msg_namelen = o->namelen < udp_rmsg.msg_namelen ? o->namelen : udp_rmsg.msg_namelen,
			    .msg_iov = &udp_siov[bid],
			    .msg_iovlen = 1,
			};
			struct io_uring_sqe *s = sqe();
			io_uring_prep_sendmsg(s, udp_fd, &udp_smsg[bid], 0);
			io_uring_sqe_set_data64(s, UD(K_UDP_SEND, bid));
		}
	}
	if (cqe->flags & IORING_CQE_F_MORE) return;
	if (cqe->res == -ENOBUFS) {
		/* Every buffer holds a reply in flight: the datagrams
		 * wait in the socket until the replies complete. */
		udp_starved = 1;
		enobufs++;
		return;
	}
	if (cqe->res < 0 && cqe->res != -EINTR) fprintf(stderr, "recvmsg: %s\n", strerror(-cqe->res));
	arm_udp_recv();
}

static void handle_udp(struct io_uring_cqe *cqe) {
	unsigned long long ud = io_uring_cqe_get_data64(cqe);
	switch (ud & 0xff) {
	case K_SIGNAL:
		stop = 1;
		return;
	case K_UDP_RECV:
		on_udp_recv(cqe);
		return;
	case K_UDP_SEND:
		if (cqe->res >= 0) bytes_out += cqe->res;
		else dropped++;
		give_back(ud >> 8);
		return;
	}
}

static void rearm_udp(void) {
	if (udp_starved) {
		udp_starved = 0;
		arm_udp_recv();
	}
}

static int serve_udp(const char *addr, int rcvbuf, const char *taskrun) {
	struct sockaddr_in bound;
	udp_fd = bind_to(addr, SOCK_DGRAM, 9001, &bound);
	if (rcvbuf > 0 && setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0)
		die("SO_RCVBUF");
	arm_udp_recv();
	print_listening("udp", &bound, taskrun);
	wait_loop(handle_udp, rearm_udp);
	printf("totals: datagrams=%llu bytes_in=%llu bytes_out=%llu dropped=%llu enobufs=%llu\n",
	       datagrams, bytes_in, bytes_out, dropped, enobufs);
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
		else if (!strcmp(argv[i], "--bufs") && i + 1 < argc) nbufs = atoi(argv[++i]);
		else if (!strncmp(argv[i], "--bufs=", 7)) nbufs = atoi(argv[i] + 7);
		else { fprintf(stderr, "usage: echo-curing [--addr host:port] [--udp] [--rcvbuf bytes] [--bufs n]\n"); return 2; }
	}
	if (nbufs < 1 || nbufs > MAX_BUFS || (nbufs & (nbufs - 1))) {
		fprintf(stderr, "echo-curing: --bufs %d: want a power of two from 1 to %d\n", nbufs, MAX_BUFS);
		return 2;
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	maxfd = rl.rlim_cur > (1 << 24) ? (1 << 24) : (int)rl.rlim_cur;
	conns = calloc(maxfd, sizeof *conns);
	starved = calloc(maxfd, sizeof *starved);
	if (!conns || !starved) die("calloc");
	signal(SIGPIPE, SIG_IGN);

	const char *taskrun = setup_ring();
	setup_buffers();
	watch_signals();
	if (udp) return serve_udp(addr ? addr : "127.0.0.1:9001", rcvbuf, taskrun);
	return serve_tcp(addr ? addr : "127.0.0.1:9000", taskrun);
}
