/*
 * options.c - the tracker's defaults.
 *
 * Host timeouts follow Linux's (what most servers and clients run), so that
 * the tracker moves an endpoint to CLOSED when its host would. Alert
 * thresholds come well before them: a person should hear about a stuck
 * handshake or close while the host still retries.
 */
#include <string.h>

#include "tracker.h"

void tcpfsm_options_default(struct tcpfsm_options *o)
{
	memset(o, 0, sizeof *o);
	o->max_connections = 1000000;
	o->idle_timeout = SECONDS(300); /* Zeek's TCP inactivity timeout */
	o->closed_linger = SECONDS(5);
	o->midstream = 1;
	o->conn_records = 1;
	/* Linux: 1+2+4+8+16+32 s of SYN/ACK retries, then the last wait. */
	o->host_timeout[TCPFSM_SYN_RECEIVED] = SECONDS(63);
	/* Linux: tcp_syn_retries=6; 127 s from the first SYN with exponential
	 * backoff, 133 s where the first retries are linear
	 * (tcp_syn_linear_timeouts, measured on 6.18). */
	o->host_timeout[TCPFSM_SYN_SENT] = SECONDS(133);
	/* Linux orphan retries: about two minutes of FIN retransmissions. */
	o->host_timeout[TCPFSM_FIN_WAIT_1] = SECONDS(120);
	o->host_timeout[TCPFSM_CLOSING] = SECONDS(120);
	o->host_timeout[TCPFSM_LAST_ACK] = SECONDS(120);
	/* Linux tcp_fin_timeout for an orphaned socket. */
	o->host_timeout[TCPFSM_FIN_WAIT_2] = SECONDS(60);
	o->host_timeout[TCPFSM_TIME_WAIT] = SECONDS(60); /* 2MSL */

	o->alert_after[TCPFSM_SYN_SENT] = SECONDS(3);
	o->alert_after[TCPFSM_SYN_RECEIVED] = SECONDS(3);
	o->alert_after[TCPFSM_FIN_WAIT_1] = SECONDS(10);
	o->alert_after[TCPFSM_CLOSING] = SECONDS(10);
	o->alert_after[TCPFSM_LAST_ACK] = SECONDS(10);
	/* Before the host's own 60 s timer closes an orphaned FIN_WAIT_2. */
	o->alert_after[TCPFSM_FIN_WAIT_2] = SECONDS(30);
	o->alert_after[TCPFSM_CLOSE_WAIT] = SECONDS(60);
	/* Stalls of established connections, reported within 5 s of their
	 * start: Linux retransmits at 0.2, 0.6, 1.4 s after the first copy
	 * (3 retransmissions), a slower stack's first one comes within 1-3 s
	 * and 3 s unacknowledged catches it. One or two retransmissions then
	 * an ACK (fast retransmit, one timeout) stay below both. */
	o->stall_retransmissions = 3;
	o->stall_unacked = SECONDS(3);
	o->stall_zero_window = SECONDS(3);
	o->stall_keepalives = 2;
	/* Linux tcp_retries2 = 15: 0.2 s doubling to the 120 s maximum RTO,
	 * 924.6 s in all; tcp_keepalive_probes = 9. */
	o->give_up_unacked = 924600000;
	o->give_up_keepalives = 9;
	o->aggregate_window = SECONDS(10);
	o->alert_rate = 100;
}
