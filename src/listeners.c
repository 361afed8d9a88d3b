/*
 * listeners.c - the listening sockets the traffic proves.
 */
#include <stdlib.h>
#include <string.h>

#include "listeners.h"

int listeners_init(struct listeners *l)
{
	memset(l, 0, sizeof *l);
	l->pool = calloc(LISTENERS_MAX, sizeof *l->pool);
	return l->pool ? 0 : -1;
}

void listeners_destroy(struct listeners *l)
{
	HASH_CLEAR(hh, l->hash);
	free(l->pool);
	memset(l, 0, sizeof *l);
}

void listeners_note(struct listeners *l, const struct tcpfsm_addr *addr,
		    enum tcpfsm_state state, int64_t ts)
{
	struct listener *e;
	struct tcpfsm_addr key;

	memset(&key, 0, sizeof key); /* hashed as raw bytes: no padding noise */
	key.family = addr->family;
	key.port = addr->port;
	memcpy(key.ip, addr->ip, sizeof key.ip);
	HASH_FIND(hh, l->hash, &key, sizeof key, e);
	if (!e) {
		if (l->used == LISTENERS_MAX) {
			l->dropped++;
			return;
		}
		e = &l->pool[l->used++];
		e->pub.addr = key;
		e->pub.first_ts = ts;
		HASH_ADD(hh, l->hash, pub.addr, sizeof key, e);
	}
	e->pub.state = state;
	e->pub.last_ts = ts;
	if (state == TCPFSM_LISTEN)
		e->pub.accepted++;
	else
		e->pub.refused++;
}
