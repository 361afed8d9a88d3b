/*
 * zeek.h - Zeek's view of a TCP connection, kept beside tcpfsm's: its
 * originator/responder roles, history letters and conn_state, so that a
 * finished connection can be written as a conn.log record.
 */
#ifndef TCPFSM_ZEEK_H
#define TCPFSM_ZEEK_H

#include <stdint.h>

#include "decode.h"
#include "tcpfsm.h"

struct zeek_conn {
	uint32_t orig_pkts, resp_pkts;
	uint8_t first_side; /* enum tcpfsm_side of the first packet's sender */
	uint8_t pad[3];
};

/* Starts a record; side is who sent the connection's first packet. */
void zeek_init(struct zeek_conn *z, int side);

/* Accounts one segment sent by endpoint `side` (enum tcpfsm_side). */
void zeek_packet(struct zeek_conn *z, int side, const struct segment *seg,
		 int64_t ts);

/* Fills the conn.log summary. */
void zeek_record(const struct zeek_conn *z, struct tcpfsm_conn_record *rec);

#endif
