/*
 * test_trackers.c - two trackers in one process are independent.
 *
 * Each tracker's flow table hashes with a seed of its own, kept for its
 * life. Were the seed shared and drawn again by every new table, a tracker
 * made while another holds connections would move the first one's hashes
 * under its flows: its next packets would find no flow and start new ones.
 * Here two trackers are kept alive together and fed the demo capture
 * interleaved, the second made midway through the first's feeding; each
 * must say exactly what one tracker alone says.
 *
 * The batch feed must say exactly what packet-by-packet feeding says, for
 * any batch size, both for the first tracker of the process (whose seed the
 * batches' hashes are computed with) and for another (which hashes again).
 */
#include <pcap/pcap.h>
#include <string.h>

#include "tcpfsm.h"
#include "testutil.h"

struct packet {
	int64_t ts;
	uint32_t caplen;
	uint8_t *data;
};

static struct packet *packets;
static size_t npackets;
static int linktype;

/* Every event a tracker emits, one line each, in order. */
struct log {
	char *text;
	size_t len, cap;
};

static void log_add(struct log *l, const char *line)
{
	size_t n = strlen(line);
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->text = realloc(l->text, l->cap);
		assert_non_null(l->text);
	}
	memcpy(l->text + l->len, line, n + 1);
	l->len += n;
}

static void on_event(const struct tcpfsm_event *ev, void *user)
{
	char line[1024], client[TCPFSM_ADDRSTRLEN] = "",
			 server[TCPFSM_ADDRSTRLEN] = "";
	unsigned long long id = 0;

	if (ev->conn) {
		tcpfsm_addr_format(&ev->conn->client, client);
		tcpfsm_addr_format(&ev->conn->server, server);
		id = (unsigned long long)ev->conn->id;
	}
	snprintf(line, sizeof line,
		 "%d %lld #%llu %s %s %d %d>%d %s %d %s %s %s %lld\n", ev->type,
		 (long long)ev->ts, id, client, server, ev->endpoint, ev->from,
		 ev->to, ev->cause ? ev->cause : "-", ev->end_reason,
		 ev->record ? ev->record->conn_state : "-",
		 ev->record ? ev->record->history : "-",
		 ev->alert ? ev->alert : "-", (long long)ev->duration);
	log_add(user, line);
}

static void load(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t cap = 0;

	if (!p)
		fail_msg("%s", err);
	linktype = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (npackets == cap) {
			cap = cap ? cap * 2 : 256;
			packets = realloc(packets, cap * sizeof *packets);
			assert_non_null(packets);
		}
		struct packet *k = &packets[npackets++];
		k->ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		k->caplen = h->caplen;
		k->data = malloc(h->caplen ? h->caplen : 1);
		assert_non_null(k->data);
		memcpy(k->data, data, h->caplen);
	}
	pcap_close(p);
}

static void feed_one(struct tcpfsm *t, size_t i)
{
	tcpfsm_feed(t, linktype, packets[i].ts, packets[i].data,
		    packets[i].caplen);
}

/* What one tracker alone says of the whole capture. */
static void alone(struct log *l)
{
	struct tcpfsm *t = tcpfsm_new(NULL, on_event, l);
	assert_non_null(t);
	for (size_t i = 0; i < npackets; i++)
		feed_one(t, i);
	tcpfsm_finish(t);
	tcpfsm_free(t);
}

/* Feeds the capture from packet `from` on to t in batches of size
 * packets. */
static void feed_batches(struct tcpfsm *t, size_t from, size_t size)
{
	struct tcpfsm_batch *b = tcpfsm_batch_new(NULL, linktype, size);
	assert_non_null(b);
	for (size_t i = from; i < npackets; i++) {
		int rc = tcpfsm_batch_add(b, packets[i].ts, packets[i].data,
					  packets[i].caplen);
		assert_true(rc >= 0);
		if (tcpfsm_batch_count(b) == size) {
			assert_int_equal(tcpfsm_batch_add(b, 0, packets[i].data,
							  packets[i].caplen),
					 -1);
			tcpfsm_feed_batch(t, b);
			tcpfsm_batch_clear(b);
		}
	}
	tcpfsm_feed_batch(t, b);
	tcpfsm_batch_free(b);
}

/* What t says of the capture fed in batches of size packets. */
static void batched(struct tcpfsm *t, struct log *l, size_t size)
{
	feed_batches(t, 0, size);
	tcpfsm_finish(t);
	tcpfsm_free(t);
	assert_true(l->len > 0);
}

static void test_batch_feed(void **state)
{
	(void)state;
	static const size_t sizes[] = {1, 5, 33, 1024};
	struct log ref = {0}, first = {0};

	/* Made first in the process (this test runs first), it has the seed
	 * the batches are hashed with. */
	struct tcpfsm *t = tcpfsm_new(NULL, on_event, &first);
	assert_non_null(t);
	batched(t, &first, 64);
	alone(&ref);
	assert_string_equal(first.text, ref.text);
	/* The others hash again. */
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct log l = {0};
		t = tcpfsm_new(NULL, on_event, &l);
		assert_non_null(t);
		batched(t, &l, sizes[s]);
		assert_string_equal(l.text, ref.text);
		free(l.text);
	}
	/* Packets fed one way and the other find the same flows. */
	struct log l = {0};
	t = tcpfsm_new(NULL, on_event, &l);
	assert_non_null(t);
	for (size_t i = 0; i < npackets / 2; i++)
		feed_one(t, i);
	feed_batches(t, npackets / 2, 8);
	tcpfsm_finish(t);
	tcpfsm_free(t);
	assert_string_equal(l.text, ref.text);
	free(l.text);
	free(ref.text);
	free(first.text);
}

static void test_two_trackers_interleaved(void **state)
{
	(void)state;
	struct log ref = {0}, a = {0}, b = {0};

	alone(&ref);
	assert_true(ref.len > 0);
	/* The first holds connections when the second is made; then each
	 * packet goes to one, then the other, the second a half behind. */
	struct tcpfsm *t1 = tcpfsm_new(NULL, on_event, &a);
	assert_non_null(t1);
	size_t half = npackets / 2, i = 0, j = 0;
	for (; i < half; i++)
		feed_one(t1, i);
	struct tcpfsm *t2 = tcpfsm_new(NULL, on_event, &b);
	assert_non_null(t2);
	while (i < npackets || j < npackets) {
		if (i < npackets)
			feed_one(t1, i++);
		if (j < npackets)
			feed_one(t2, j++);
	}
	tcpfsm_finish(t1);
	tcpfsm_finish(t2);
	assert_string_equal(a.text, ref.text);
	assert_string_equal(b.text, ref.text);
	assert_int_equal(tcpfsm_stats(t1)->connections,
			 tcpfsm_stats(t2)->connections);
	tcpfsm_free(t1);
	tcpfsm_free(t2);
	free(ref.text);
	free(a.text);
	free(b.text);
}

static int setup(void **state)
{
	(void)state;
	load(DEMO_PCAP);
	return npackets > 40 ? 0 : -1; /* more than the prefetch window */
}

static int teardown(void **state)
{
	(void)state;
	for (size_t k = 0; k < npackets; k++)
		free(packets[k].data);
	free(packets);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_feed),
		cmocka_unit_test(test_two_trackers_interleaved),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
