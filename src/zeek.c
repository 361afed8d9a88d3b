/*
 * zeek.c - Zeek's view of a TCP connection (placeholder: counts packets).
 */
#include <string.h>

#include "zeek.h"

void zeek_init(struct zeek_conn *z, int side)
{
	memset(z, 0, sizeof *z);
	z->first_side = (uint8_t)side;
}

void zeek_packet(struct zeek_conn *z, int side, const struct segment *seg,
		 int64_t ts)
{
	(void)seg;
	(void)ts;
	if (side == z->first_side)
		z->orig_pkts++;
	else
		z->resp_pkts++;
}

void zeek_record(const struct zeek_conn *z, struct tcpfsm_conn_record *rec)
{
	memset(rec, 0, sizeof *rec);
	strcpy(rec->conn_state, "OTH");
	rec->flipped = z->first_side != TCPFSM_CLIENT;
	rec->orig_pkts = z->orig_pkts;
	rec->resp_pkts = z->resp_pkts;
}
