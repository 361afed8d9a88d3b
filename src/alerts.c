/*
 * alerts.c - diagnoses of stuck endpoints, alert folding and rate limiting.
 *
 * Alerts are rare next to packets, so this file may format with snprintf.
 */
#include <stdio.h>
#include <string.h>

#include "alerts.h"

/* "N retransmissions" with the right number. */
static const char *times(unsigned n, char *buf, size_t size)
{
	snprintf(buf, size, "%u retransmission%s%s", n, n == 1 ? "" : "s",
		 n == UINT8_MAX ? " or more" : "");
	return buf;
}

/*
 * A host stuck in a state it should pass through shows it by its own
 * retransmissions: a SYN_SENT host resends its SYN, a SYN_RECEIVED host its
 * SYN/ACK, and FIN_WAIT_1, CLOSING and LAST_ACK their FIN. Without one, the
 * answer it waited for most likely reached it and the sensor missed it (or
 * cannot see that direction). A CLOSE_WAIT host shows it by sending no FIN,
 * and its FIN_WAIT_2 peer by receiving none: that silence is evidence only
 * where the sensor sees the host's direction and has missed nothing of it.
 */
int alert_has_evidence(const struct flow *f, int side, int state)
{
	const struct endpoint *e = &f->ep[side], *p = &f->ep[!side];

	switch (state) {
	/* Its last copy must be later than the last segment sent its way
	 * (seen, or shown sent by its sender's silence, fsm.c): a copy sent
	 * before an answer that may have reached it proves nothing now. */
	case TCPFSM_SYN_SENT:
	case TCPFSM_SYN_RECEIVED:
		return e->syn_retx > 0 && e->tx_ts >= e->assumed_ts;
	case TCPFSM_FIN_WAIT_1:
		/* Unless the peer's FIN may have gone by unseen (its direction
		 * is not seen, or the sensor missed some of it): then it may
		 * be in CLOSING or LAST_ACK instead. */
		return e->fin_retx > 0 && (p->flags & EP_SEEN) &&
		       !(p->flags & EP_GAP);
	case TCPFSM_CLOSING:
	case TCPFSM_LAST_ACK:
		return e->fin_retx > 0;
	/* Silence is evidence only from a host whose direction passes here,
	 * on a connection of which the sensor has missed nothing: one lost
	 * packet either way says it may miss the FIN too. */
	case TCPFSM_CLOSE_WAIT:
		return (e->flags & EP_SEEN) &&
		       !((e->flags | p->flags) & EP_GAP);
	case TCPFSM_FIN_WAIT_2:
		return (p->flags & EP_SEEN) &&
		       !((e->flags | p->flags) & EP_GAP);
	default:
		return 1;
	}
}

void alert_diagnose(const struct flow *f, int side, int state, char *buf,
		    size_t size)
{
	const struct endpoint *e = &f->ep[side], *p = &f->ep[!side];
	char host[TCPFSM_ADDRSTRLEN], peer[TCPFSM_ADDRSTRLEN], n[48];
	struct tcpfsm_addr a;
	int peer_visible = (p->flags & EP_SEEN) != 0;

	flow_addr(f, side, &a);
	tcpfsm_addr_format(&a, host);
	flow_addr(f, !side, &a);
	tcpfsm_addr_format(&a, peer);

	switch (state) {
	case TCPFSM_SYN_SENT:
		if (p->flags & EP_SENT_SYNACK)
			snprintf(
				buf, size,
				"SYN/ACK seen here but %s keeps retransmitting "
				"its SYN (%s): the SYN/ACK is lost between "
				"this sensor and %s",
				host, times(e->syn_retx, n, sizeof n), host);
		else
			snprintf(buf, size,
				 "SYN not answered (%s): the SYN is lost "
				 "between this sensor and %s, or its SYN/ACK "
				 "on the way back before this sensor, or %s is "
				 "down or filtered",
				 times(e->syn_retx, n, sizeof n), peer, peer);
		break;
	case TCPFSM_SYN_RECEIVED:
		if (!peer_visible)
			snprintf(buf, size,
				 "handshake not completed; %s's direction does "
				 "not pass this sensor, so where its ACK is "
				 "lost cannot be told",
				 peer);
		else if (p->flags & EP_ACKED_PEER_SYN)
			snprintf(buf, size,
				 "%s's ACK was seen here but %s keeps "
				 "retransmitting its SYN/ACK (%s): the ACK is "
				 "lost between this sensor and %s",
				 peer, host, times(e->syn_retx, n, sizeof n),
				 host);
		else if (p->syn_retx)
			snprintf(buf, size,
				 "%s keeps retransmitting its %s although the "
				 "SYN/ACK passes here: the SYN/ACK is lost "
				 "between this sensor and %s",
				 peer,
				 (p->flags & EP_SENT_SYNACK) ? "SYN/ACK"
							     : "SYN",
				 peer);
		else if (e->syn_retx)
			snprintf(buf, size,
				 "%s retransmits its SYN/ACK (%s) and no ACK "
				 "from %s is seen: lost between %s and this "
				 "sensor, or %s is gone",
				 host, times(e->syn_retx, n, sizeof n), peer,
				 peer, peer);
		else
			snprintf(buf, size,
				 "handshake not completed: no final ACK from "
				 "%s seen",
				 peer);
		break;
	case TCPFSM_FIN_WAIT_1:
	case TCPFSM_CLOSING:
	case TCPFSM_LAST_ACK:
		if (!peer_visible)
			snprintf(buf, size,
				 "FIN not acknowledged (%s); %s's direction "
				 "does not pass this sensor",
				 times(e->fin_retx, n, sizeof n), peer);
		else if ((p->flags & EP_ACKED_PEER_FIN) && e->fin_retx)
			snprintf(
				buf, size,
				"%s's ACK of the FIN was seen here but %s "
				"keeps retransmitting its FIN (%s): the ACK is "
				"lost between this sensor and %s",
				peer, host, times(e->fin_retx, n, sizeof n),
				host);
		else if (e->fin_retx)
			snprintf(
				buf, size,
				"FIN retransmitted (%s) with nothing back from "
				"%s: lost between this sensor and %s, or %s "
				"is unreachable",
				times(e->fin_retx, n, sizeof n), peer, peer,
				peer);
		else
			snprintf(buf, size,
				 "FIN not acknowledged by %s (no "
				 "retransmission seen)",
				 peer);
		break;
	case TCPFSM_FIN_WAIT_2:
		snprintf(buf, size,
			 "%s acknowledged the FIN but has not closed its side: "
			 "the application on %s holds its socket (CLOSE_WAIT "
			 "there)",
			 peer, peer);
		break;
	case TCPFSM_CLOSE_WAIT:
		snprintf(buf, size,
			 "peer closed; the application on %s has not closed "
			 "its socket (CLOSE_WAIT leak)",
			 host);
		break;
	default:
		snprintf(buf, size, "stuck in %s", tcpfsm_state_name(e->state));
		break;
	}
}

void alert_folding_init(struct alert_folding *a, int64_t window, uint32_t rate)
{
	/* The groups are left as they are: each is set up when first taken
	 * (alert_fold()), so that their half megabyte is not written, and
	 * with it made resident, before any alert. */
	a->hash = NULL;
	a->head = a->tail = a->free_head = NIL;
	a->unused = 0;
	a->window = window;
	a->rate = rate;
	a->tokens = (int64_t)rate * 1000000;
	a->refilled = INT64_MIN;
}

void alert_folding_destroy(struct alert_folding *a)
{
	HASH_CLEAR(hh, a->hash);
}

int alert_fold(struct alert_folding *a, const struct flow *f, int side,
	       int state, int64_t now)
{
	struct alert_group key, *g;

	if (a->window <= 0)
		return 1;
	memset(&key.key, 0, sizeof key.key);
	struct tcpfsm_addr server;
	flow_addr(f, TCPFSM_SERVER, &server);
	memcpy(key.key.ip, server.ip, sizeof key.key.ip);
	key.key.port = server.port;
	key.key.family = server.family;
	key.key.side = (uint8_t)side;
	key.key.state = (uint8_t)state;

	HASH_FIND(hh, a->hash, &key.key, sizeof key.key, g);
	if (g) {
		if (g->folded++ == 0) {
			g->sample = f->id;
			flow_addr(f, TCPFSM_CLIENT, &g->sample_client);
		}
		return 0;
	}
	if (a->free_head != NIL) {
		g = &a->groups[a->free_head];
		a->free_head = g->next;
	} else if (a->unused < ALERT_GROUPS) {
		g = &a->groups[a->unused++];
	} else {
		return 1; /* every group busy: no folding */
	}
	g->key = key.key;
	g->opened = now;
	g->folded = 0;
	g->next = NIL;
	HASH_ADD(hh, a->hash, key, sizeof g->key, g);
	if (a->tail != NIL)
		a->groups[a->tail].next = (uint32_t)(g - a->groups);
	else
		a->head = (uint32_t)(g - a->groups);
	a->tail = (uint32_t)(g - a->groups);
	return 1;
}

int64_t alert_folding_deadline(const struct alert_folding *a)
{
	return a->head == NIL ? INT64_MAX
			      : a->groups[a->head].opened + a->window;
}

const struct alert_group *alert_folding_expire(struct alert_folding *a,
					       int64_t now, int *closed)
{
	*closed = 0;
	if (a->head == NIL || a->groups[a->head].opened + a->window > now)
		return NULL;
	struct alert_group *g = &a->groups[a->head];
	a->head = g->next;
	if (a->head == NIL)
		a->tail = NIL;
	HASH_DELETE(hh, a->hash, g);
	g->next = a->free_head;
	a->free_head = (uint32_t)(g - a->groups);
	*closed = 1;
	return g->folded ? g : NULL;
}

int alert_rate_allow(struct alert_folding *a, int64_t now)
{
	if (a->rate == 0)
		return 1;
	int64_t cap = (int64_t)a->rate * 1000000;
	if (a->refilled == INT64_MIN || now - a->refilled >= 1000000)
		a->tokens = cap;
	else if (now > a->refilled)
		a->tokens += (now - a->refilled) * (int64_t)a->rate;
	if (a->tokens > cap)
		a->tokens = cap;
	a->refilled = now;
	if (a->tokens < 1000000)
		return 0;
	a->tokens -= 1000000;
	return 1;
}
