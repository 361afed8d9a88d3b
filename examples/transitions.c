/*
 * transitions.c - the smallest program built on libtcpfsm.
 *
 * Reads a capture file with libpcap, feeds every packet to a tracker, and
 * prints each endpoint's state change as it is inferred, then the end of
 * every connection. It uses only the installed API:
 *
 *   cc -o transitions transitions.c $(pkg-config --cflags --libs tcpfsm) \
 *      -lpcap
 *   ./transitions capture.pcap
 *
 * Time is the packets' own, so the output is the same on every run.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>

#include <tcpfsm.h>

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	char client[TCPFSM_ADDRSTRLEN], server[TCPFSM_ADDRSTRLEN];
	unsigned long *count = user;

	if (ev->type != TCPFSM_EV_TRANSITION && ev->type != TCPFSM_EV_END)
		return;
	tcpfsm_addr_format(&ev->conn->client, client);
	tcpfsm_addr_format(&ev->conn->server, server);
	printf("%" PRId64 ".%06" PRId64 " #%" PRIu64 " %s > %s ",
	       ev->ts / 1000000, ev->ts % 1000000, ev->conn->id, client,
	       server);
	if (ev->type == TCPFSM_EV_END) {
		printf("end (%s)\n", tcpfsm_end_reason_name(ev->end_reason));
		return;
	}
	printf("%s %s -> %s (%s)\n", tcpfsm_side_name(ev->endpoint),
	       tcpfsm_state_name(ev->from), tcpfsm_state_name(ev->to),
	       ev->cause);
	++*count;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long transitions = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct tcpfsm *t = tcpfsm_new(NULL, on_event, &transitions);
	if (!t) {
		fprintf(stderr, "out of memory\n");
		pcap_close(p);
		return 1;
	}
	int linktype = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &data) == 1)
		tcpfsm_feed(t, linktype,
			    (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec,
			    data, h->caplen);
	tcpfsm_finish(t); /* the connections still open end here */
	const struct tcpfsm_stats *st = tcpfsm_stats(t);
	printf("libtcpfsm %s: %" PRIu64 " packets, %" PRIu64
	       " connections, %lu transitions\n",
	       TCPFSM_VERSION, st->packets, st->connections, transitions);
	tcpfsm_free(t);
	pcap_close(p);
	return 0;
}
