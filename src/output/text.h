/*
 * text.h - how the text writer stamps and details its lines, as tcpdump's
 * -t family and -v ask. One setting for every text output: they all come
 * from one command line.
 */
#ifndef TCPFSM_OUTPUT_TEXT_H
#define TCPFSM_OUTPUT_TEXT_H

enum text_time {
	TEXT_TIME_AUTO = 0,    /* time of day; with the date once the events
				  span more than a day (default) */
	TEXT_TIME_NONE,	       /* -t: no time stamp */
	TEXT_TIME_EPOCH,       /* -tt: seconds since the epoch */
	TEXT_TIME_DELTA,       /* -ttt: since the previous line */
	TEXT_TIME_DATE,	       /* -tttt: date and time of day, always */
	TEXT_TIME_SINCE_FIRST, /* -ttttt: since the first line */
};

/* verbose (-v): each connection's end with its packets and bytes per
 * side, the final stats with the endpoints by state. */
void text_configure(enum text_time time, int verbose);

#endif
