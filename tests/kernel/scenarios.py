"""scenarios.py - the kernel-truth scenarios, one function each.

A scenario function gets `ctx` (record's Recording) and drives the client and
server agents (ctx.c, ctx.s: agent.py commands, see its docstring), adds and
removes nft drop rules (ctx.drop(name, at, match) / ctx.undrop(name); `at` is
one of record's PLACES: router:c2s, router:s2c, client:in, client:out,
server:in, server:out), and states what the recording must show
(ctx.expect(conn, host, state, stuck)), which endpoints the wire cannot
decide (ctx.ambiguous(conn, host, why, states)) and free notes (ctx.note).
The docstring's first paragraph is the scenario's description; later
paragraphs become "details" in scenario.json.

Before the function runs, the capture, the `ss` pollers and the clock tick
have been running for 0.6 s; when it returns the recording ends, so every
scenario ends with a hold (ctx.sleep) long enough for its last states to be
quiet (>= 1 s, better 1.5 s) in `ss`.

Handy nft matches (flags are matched exactly on the bits that matter):
"""
SYN = "tcp flags & (syn | ack) == syn"
SYNACK = "tcp flags & (syn | ack) == syn | ack"
PURE_ACK = "tcp flags == ack"  # no data here ever goes without PSH
FIN = "tcp flags & fin == fin"

ALL = {}


def scenario(f):
    ALL[f.__name__] = f
    return f


def _open(ctx, name="c1", port=80, v6=False, lname="L", listen=True, exchange=True):
    """listen (if asked), connect, accept, and exchange one request/answer."""
    srv = ctx.S6 if v6 else ctx.S4
    if listen:
        ctx.s.cmd("listen %s %s %d" % (lname, srv, port))
        ctx.sleep(0.3)
    ctx.connect(name, srv, port)
    ctx.accept(lname, "a" + name)
    ctx.c.cmd("wait %s 2" % name)
    if exchange:
        ctx.c.cmd("send %s GET /hello" % name)
        ctx.s.cmd("recv a%s 1" % name)
        ctx.s.cmd("send a%s 200 OK hello" % name)
        ctx.c.cmd("recv %s 1" % name)


def _normal(ctx, v6):
    _open(ctx, v6=v6)
    ctx.sleep(1.5)
    ctx.c.cmd("close c1")  # FIN from the client; the server reads EOF ...
    ctx.s.cmd("recv ac1 1")
    ctx.sleep(1.5)  # ... but its application closes only 1.5 s later
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    for host, st in (("client", "ESTABLISHED"), ("server", "ESTABLISHED"),
                     ("client", "FIN_WAIT_2"), ("server", "CLOSE_WAIT"),
                     ("client", "TIME_WAIT"), ("server", "CLOSED")):
        ctx.expect("c1", host, st)


@scenario
def normal_close(ctx):
    """Normal connection over IPv4, the client closes first.

    Handshake, one request and answer, 1.5 s idle ESTABLISHED, the client
    closes (FIN_WAIT_2 / CLOSE_WAIT for 1.5 s while the server application
    takes its time), the server closes (LAST_ACK for one round trip), the
    client ends in TIME_WAIT and the server's socket is gone."""
    _normal(ctx, v6=False)


@scenario
def normal_close_v6(ctx):
    """The normal_close scenario over IPv6 (ULA addresses).

    Same steps as normal_close; the client ends in TIME_WAIT."""
    _normal(ctx, v6=True)


@scenario
def close_wait(ctx):
    """The server closes first; the client application never closes: the client
    is stuck in CLOSE_WAIT, the server in FIN_WAIT_2.

    The server's FIN is acknowledged at once by the client kernel; the client
    application reads nothing more and holds the socket for the rest of the
    recording (5 s). The server's orphaned FIN_WAIT_2 would last
    tcp_fin_timeout (60 s)."""
    _open(ctx)
    ctx.sleep(1.2)
    ctx.s.cmd("close ac1")
    ctx.sleep(5.0)
    ctx.expect("c1", "client", "CLOSE_WAIT", stuck=True)
    ctx.expect("c1", "server", "FIN_WAIT_2")


@scenario
def refused(ctx):
    """Connections to a closed port: the server kernel answers the SYN with
    RST/ACK, both endpoints are CLOSED.

    Two attempts 1.5 s apart to port 9 (nothing listens). The client socket
    exists in ss for microseconds only; its 4-tuple is known from the agent,
    and its absence afterwards is the truth CLOSED."""
    ctx.connect("c1", ctx.S4, 9)
    ctx.c.cmd("wait c1 1")
    ctx.sleep(1.5)
    ctx.connect("c2", ctx.S4, 9)
    ctx.c.cmd("wait c2 1")
    ctx.sleep(2.0)
    for c in ("c1", "c2"):
        ctx.expect(c, "client", "CLOSED")
        ctx.expect(c, "server", "CLOSED")


@scenario
def syn_lost_after_sensor(ctx):
    """The client's SYN is dropped between the sensor and the server: the client
    is stuck in SYN_SENT, retransmitting; the server never heard of it.

    nft drops client->server SYNs in the router's forward chain (after the
    sensor). A listener exists on the server. The client retransmits its SYN
    at about 1, 3 and 7 s; nothing ever comes back."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("syn", "router:c2s", SYN)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    ctx.sleep(8.0)
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "server", "CLOSED")


@scenario
def synack_lost_after_sensor(ctx):
    """The server's SYN/ACK is dropped between the sensor and the client: the
    client is stuck in SYN_SENT, the server in SYN_RECEIVED.

    nft drops SYN/ACKs in the client's input chain (after the sensor). On the
    wire: SYN, SYN/ACK, then the client's SYN retransmissions each answered
    by another SYN/ACK, plus the server's own SYN/ACK retransmissions."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("synack", "client:in", SYNACK)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    ctx.sleep(6.5)
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)


@scenario
def synack_lost_before_sensor(ctx):
    """The server's SYN/ACK is dropped between the server and the sensor: client
    SYN_SENT, server SYN_RECEIVED; WIRE-AMBIGUOUS for the server.

    nft drops SYN/ACKs coming from the server in the router's forward chain,
    before the sensor. The sensor sees only the client's SYN and its
    retransmissions, exactly as in syn_lost_after_sensor, where the server
    is CLOSED; here the server kernel holds a SYN_RECEIVED request socket and
    retransmits SYN/ACKs the sensor never sees."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("synack", "router:s2c", SYNACK)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    ctx.sleep(6.5)
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)
    ctx.ambiguous("c1", "server",
                  "the SYN/ACK was lost before the sensor: the wire shows only the client's "
                  "SYNs, identical to a SYN lost after the sensor (server CLOSED, see "
                  "syn_lost_after_sensor); nothing the sensor sees tells SYN_RECEIVED from "
                  "CLOSED", states=["SYN_RECEIVED"])


@scenario
def ack_lost_after_sensor(ctx):
    """The client's ACK completing the handshake is dropped between the sensor
    and the server: client ESTABLISHED, server stuck in SYN_RECEIVED.

    nft drops the client's pure ACKs in the router's forward chain (after the
    sensor). The client sends no data. The server retransmits its SYN/ACK
    (about 1, 3, 7 s); each time the client answers with a duplicate ACK that
    is dropped again."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("ack", "router:c2s", PURE_ACK)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    ctx.c.cmd("wait c1 1")
    ctx.sleep(7.5)
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)


@scenario
def ack_lost_before_sensor(ctx):
    """The client's ACK completing the handshake is dropped between the client
    and the sensor: client ESTABLISHED, server stuck in SYN_RECEIVED.

    nft drops the client's pure ACKs in its own output chain (before the
    sensor). The sensor sees SYN, SYN/ACK and then only the server's SYN/ACK
    retransmissions. The client never retransmits its SYN, which tells that
    the SYN/ACK did arrive."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("ack", "client:out", PURE_ACK)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    ctx.c.cmd("wait c1 1")
    ctx.sleep(7.5)
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)


@scenario
def simultaneous_open(ctx):
    """Simultaneous open: both hosts connect() to each other from fixed ports;
    the SYNs cross, both go SYN_SENT -> SYN_RECEIVED -> ESTABLISHED.

    Both first SYNs are dropped after the sensor (router forward chain for the
    client's, the client's input chain for the server's), so both sides sit
    in SYN_SENT; their retransmission timers (1 s, same timer-wheel slot)
    then send the second SYNs at the same moment and they cross. The SYN/ACKs
    that follow are dropped after the sensor until 2.6 s after the connects,
    so both hold SYN_RECEIVED for about 2 s; the next SYN/ACK retransmissions
    (about 3 s) complete the open. The recorder retries if the SYNs did not
    cross."""
    ctx.drop("syn-c", "router:c2s", SYN)
    ctx.drop("syn-s", "client:in", SYN)
    ctx.sleep(0.2)
    ctx.connect("c1", ctx.S4, 40002, ctx.C4, 40001, send_only=True)
    ctx.s.send("connect s1 %s 40001 %s 40002" % (ctx.C4, ctx.S4))
    ctx.connected(ctx.c.reply(), "c1")
    ctx.s.reply()
    ctx.sleep(0.5)
    ctx.drop("synack-c", "router:c2s", SYNACK)
    ctx.drop("synack-s", "client:in", SYNACK)
    ctx.undrop("syn-c", "syn-s")
    ctx.sleep(2.1)
    ctx.undrop("synack-c", "synack-s")
    ctx.sleep(3.5)
    ctx.expect("c1", "client", "SYN_RECEIVED")
    ctx.expect("c1", "server", "SYN_RECEIVED")
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "server", "ESTABLISHED")
    ctx.note("Both hosts are 'clients' here (both sent a bare SYN); the recording calls "
             "10.77.1.2:40001 the client only because of which namespace it is in.")


@scenario
def simultaneous_close(ctx):
    """Simultaneous close: both applications close at once, both FINs are sent
    before either arrives; both hosts go FIN_WAIT_1 -> CLOSING -> TIME_WAIT.

    On a veth a FIN arrives within microseconds, so the crossing is made with
    drops after the sensor: first both FINs are dropped (router forward chain
    for the client's, client input chain for the server's) so both hosts sit
    in FIN_WAIT_1 retransmitting; 1.2 s after the close the pure ACKs are
    dropped instead, so the next FIN retransmissions (about 1.7 s) reach
    each host while its own FIN is unacknowledged (CLOSING) and the ACKs
    that would end CLOSING are lost; 2.5 s after the close the ACKs are let
    through and the next FIN retransmissions (about 3.3 s), which now also
    acknowledge the peer's FIN, end in TIME_WAIT on both sides."""
    _open(ctx)
    ctx.drop("fin-c", "router:c2s", FIN)
    ctx.drop("fin-s", "client:in", FIN)
    ctx.sleep(1.5)
    ctx.c.send("close c1")
    ctx.s.send("close ac1")
    ctx.c.reply()
    ctx.s.reply()
    # FIN retransmissions come about 0.2, 0.4, 0.8, 1.7, 3.3 s after the close;
    # the rules change in between, ACK drops first so that no FIN can pass
    # while its ACK still could.
    ctx.sleep(1.2)
    ctx.drop("ack-c", "router:c2s", PURE_ACK)
    ctx.drop("ack-s", "client:in", PURE_ACK)
    ctx.undrop("fin-c", "fin-s")
    ctx.sleep(1.3)
    ctx.undrop("ack-c", "ack-s")
    ctx.sleep(3.0)
    for host in ("client", "server"):
        ctx.expect("c1", host, "ESTABLISHED")
        ctx.expect("c1", host, "FIN_WAIT_1")
        ctx.expect("c1", host, "CLOSING", stuck=True)
        ctx.expect("c1", host, "TIME_WAIT")


@scenario
def rst_abort(ctx):
    """Abortive close with SO_LINGER {1, 0}: a RST instead of a FIN; both
    endpoints go ESTABLISHED -> CLOSED at once.

    Two connections: c1 is aborted by the client application, c2 by the
    server application, 1.5 s after their request/answer."""
    _open(ctx, "c1")
    _open(ctx, "c2", listen=False)
    ctx.sleep(1.5)
    ctx.c.cmd("abort c1")
    ctx.sleep(0.3)
    ctx.s.cmd("abort ac2")
    ctx.sleep(2.5)
    for c in ("c1", "c2"):
        for host in ("client", "server"):
            ctx.expect(c, host, "ESTABLISHED")
            ctx.expect(c, host, "CLOSED")


@scenario
def fin_lost_after_sensor(ctx):
    """FIN into a black hole: the client closes and its FIN is dropped between
    the sensor and the server: client stuck in FIN_WAIT_1, retransmitting the
    FIN; the server, which never got it, stays ESTABLISHED.

    nft drops client->server FINs in the router's forward chain (after the
    sensor). The server sends nothing after the request/answer, so the only
    evidence is the client's FIN retransmissions (about 0.2, 0.6, 1.4, 3,
    6.2 s after the close) and the absence of any ACK of the FIN."""
    _open(ctx)
    ctx.drop("fin", "router:c2s", FIN)
    ctx.sleep(1.2)
    ctx.c.cmd("close c1")
    ctx.sleep(7.0)
    ctx.expect("c1", "client", "FIN_WAIT_1", stuck=True)
    ctx.expect("c1", "server", "ESTABLISHED")


@scenario
def last_ack(ctx):
    """The server's FIN is never acknowledged: the client closes first, the
    server closes 1.5 s later, and the client's ACK of the server's FIN is
    dropped between the sensor and the server: server stuck in LAST_ACK,
    retransmitting its FIN; client in TIME_WAIT.

    nft drops the client's pure ACKs in the router's forward chain (after the
    sensor) from just before the server closes. Every retransmitted FIN is
    answered by the client's TIME_WAIT socket with a duplicate ACK that is
    dropped too."""
    _open(ctx)
    ctx.sleep(1.2)
    ctx.c.cmd("close c1")
    ctx.s.cmd("recv ac1 1")
    ctx.sleep(1.5)
    ctx.drop("ack", "router:c2s", PURE_ACK)
    ctx.s.cmd("close ac1")
    ctx.sleep(6.5)
    ctx.expect("c1", "client", "FIN_WAIT_2")
    ctx.expect("c1", "server", "CLOSE_WAIT")
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect("c1", "server", "LAST_ACK", stuck=True)


MANY = (  # group, count, port, v6, fate
    ("N", 40, 80, False, "normal close, client first"),
    ("V", 10, 80, True, "normal close over IPv6"),
    ("X", 20, 81, False, "refused (no listener, RST)"),
    ("Y", 20, 82, False, "SYN dropped after the sensor (SYN_SENT)"),
    ("R", 15, 83, False, "reset by the client (SO_LINGER 0)"),
    ("Q", 15, 85, False, "reset by the server (SO_LINGER 0)"),
    ("W", 20, 84, False, "server closes, client application leaves CLOSE_WAIT"),
)


@scenario
def many(ctx):
    """140 concurrent connections with mixed fates: normal close (IPv4 and
    IPv6), refused, SYN lost (stuck SYN_SENT), reset by either side, and
    CLOSE_WAIT left by the client application.

    Groups (connection names in scenario.json start with the group letter):
    N 40 normal to :80; V 10 normal to [fd77:2::2]:80; X 20 refused at :81;
    Y 20 to :82 whose SYNs are dropped after the sensor; R 15 to :83 aborted
    by the client; Q 15 to :85 aborted by the server; W 20 to :84 closed by
    the server while the client application holds its socket. All connect
    within a few ms, exchange a request and an answer, idle 1.5 s, then the
    closes/aborts happen at once; the N and V servers close 1.5 s later."""
    for g, n, port, v6, _ in MANY:
        if g in ("X", "Y"):
            continue
        ctx.s.cmd("listen L%s %s %d" % (g, ctx.S6 if v6 else ctx.S4, port))
    ctx.drop("syn82", "router:c2s", "tcp dport 82 " + SYN)
    ctx.sleep(0.3)
    for g, n, port, v6, _ in MANY:
        ctx.connectn(g, n, ctx.S6 if v6 else ctx.S4, port)
    for g, n, port, v6, _ in MANY:
        if g not in ("X", "Y"):
            ctx.acceptn("L" + g, "a" + g, n)
    for g in "NVRQW":
        ctx.c.cmd("wait %s* 2" % g)
    ctx.c.cmd("wait X* 0.5")
    live = "NVRQW"
    for g in live:
        ctx.c.cmd("send %s* GET /%s" % (g, g))
    for g in live:
        ctx.s.cmd("recv a%s* 1" % g)
        ctx.s.cmd("send a%s* 200 OK %s" % (g, g))
    for g in live:
        ctx.c.cmd("recv %s* 1" % g)
    ctx.sleep(1.5)
    ctx.c.cmd("close N*")
    ctx.c.cmd("close V*")
    ctx.c.cmd("abort R*")
    ctx.s.cmd("abort aQ*")
    ctx.s.cmd("close aW*")
    ctx.sleep(1.5)
    ctx.s.cmd("close aN*")
    ctx.s.cmd("close aV*")
    ctx.sleep(2.5)
    fates = {
        "N": [("client", "ESTABLISHED"), ("client", "FIN_WAIT_2"), ("client", "TIME_WAIT"),
              ("server", "ESTABLISHED"), ("server", "CLOSE_WAIT"), ("server", "CLOSED")],
        "X": [("client", "CLOSED"), ("server", "CLOSED")],
        "Y": [("client", "SYN_SENT"), ("server", "CLOSED")],
        "R": [("client", "ESTABLISHED"), ("client", "CLOSED"),
              ("server", "ESTABLISHED"), ("server", "CLOSED")],
        "W": [("client", "ESTABLISHED"), ("client", "CLOSE_WAIT"),
              ("server", "ESTABLISHED"), ("server", "FIN_WAIT_2")],
    }
    fates["V"], fates["Q"] = fates["N"], fates["R"]
    for g, n, port, v6, fate in MANY:
        for i in range(n):
            for host, st in fates[g]:
                ctx.expect("%s%d" % (g, i), host, st,
                           stuck=st in ("SYN_SENT", "CLOSE_WAIT"))
    ctx.note("groups: " + "; ".join("%s%d-%d: %s" % (g, 0, n - 1, fate)
                                    for g, n, _, _, fate in MANY))


@scenario
def demo(ctx):
    """Demo (copied to pcaps/demo.pcap): one normal connection, one SYN that
    never gets an answer, and one CLOSE_WAIT left by the client application,
    in about 10 s.

    c1 to :80: request, answer, the client closes and the server closes at
    once (client TIME_WAIT). c2 to :8080: its SYNs are dropped after the
    sensor (client SYN_SENT for 8 s, 3 retransmissions). c3 to :80: request,
    answer, then the server closes and the client application never does
    (client CLOSE_WAIT, server FIN_WAIT_2)."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("syn8080", "router:c2s", "tcp dport 8080 " + SYN)
    ctx.sleep(0.3)
    _open(ctx, "c1", listen=False)
    ctx.sleep(0.3)
    ctx.connect("c2", ctx.S4, 8080)
    ctx.sleep(0.5)
    _open(ctx, "c3", listen=False)
    ctx.sleep(1.2)
    ctx.c.cmd("close c1")
    ctx.s.cmd("recv ac1 1")
    ctx.s.cmd("close ac1")
    ctx.sleep(1.0)
    ctx.s.cmd("close ac3")
    ctx.sleep(6.0)
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect("c1", "server", "CLOSED")
    ctx.expect("c2", "client", "SYN_SENT", stuck=True)
    ctx.expect("c2", "server", "CLOSED")
    ctx.expect("c3", "client", "CLOSE_WAIT", stuck=True)
    ctx.expect("c3", "server", "FIN_WAIT_2")


@scenario
def syn_timeout(ctx):
    """A SYN that is never answered until the client kernel gives up: client
    SYN_SENT, then CLOSED by its own timer (connect() fails with ETIMEDOUT)
    with nothing on the wire at that moment.

    Like syn_lost_after_sensor (SYNs dropped after the sensor), but the
    client namespace has net.ipv4.tcp_syn_retries = 1 so that the give-up
    comes within the recording (with the defaults, 6 retries plus
    tcp_syn_linear_timeouts 4, it takes about two minutes). The interval
    that starts with the give-up has no packet at its start: the checker
    reports it apart as timer-driven."""
    ctx.sysctl("client", "net.ipv4.tcp_syn_retries", 1)
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("syn", "router:c2s", SYN)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    ctx.c.cmd("wait c1 15")
    ctx.sleep(2.0)
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "client", "CLOSED")
    ctx.expect("c1", "server", "CLOSED")


@scenario
def half_close(ctx):
    """Half close: the client sends its request and shutdown(SHUT_WR)s; the
    server keeps sending for 2 s in CLOSE_WAIT while the client, in
    FIN_WAIT_2, keeps reading; then the server closes.

    Data flows server->client while the client is in FIN_WAIT_2 and the
    server in CLOSE_WAIT (three answers 0.6 s apart, each acknowledged by the
    client); the server's close ends in client TIME_WAIT (the client
    application has not even closed its socket yet) and server CLOSED."""
    _open(ctx)
    ctx.sleep(1.5)
    ctx.c.cmd("shutdown c1")
    ctx.s.cmd("recv ac1 1")
    for i in range(3):
        ctx.sleep(0.6)
        ctx.s.cmd("send ac1 part %d of the answer" % i)
        ctx.c.cmd("recv c1 1")
    ctx.sleep(0.6)
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    ctx.c.cmd("close c1")
    ctx.sleep(0.5)
    for host, st in (("client", "ESTABLISHED"), ("server", "ESTABLISHED"),
                     ("client", "FIN_WAIT_2"), ("server", "CLOSE_WAIT"),
                     ("client", "TIME_WAIT"), ("server", "CLOSED")):
        ctx.expect("c1", host, st)


@scenario
def port_reuse(ctx):
    """One 4-tuple, two connections: the server closes first and ends in
    TIME_WAIT; 1.5 s later the client connects again from the same port and
    the server's TIME_WAIT socket gives way to a new connection.

    The client binds 10.77.1.2:40100 both times (SO_REUSEADDR). First
    connection: request/answer, the server closes (FIN_WAIT_2 / CLOSE_WAIT
    for 1.5 s), the client closes (LAST_ACK, then CLOSED; the server goes
    TIME_WAIT). Second connection: a new SYN with a higher ISN, accepted by
    Linux in TIME_WAIT; it is then closed by the client first (client
    TIME_WAIT, server CLOSED)."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80, ctx.C4, 40100)
    ctx.accept("L", "ac1")
    ctx.c.cmd("wait c1 2")
    ctx.c.cmd("send c1 GET /first")
    ctx.s.cmd("recv ac1 1")
    ctx.s.cmd("send ac1 200 OK first")
    ctx.c.cmd("recv c1 1")
    ctx.sleep(1.5)
    ctx.s.cmd("close ac1")
    ctx.sleep(1.5)
    ctx.c.cmd("close c1")
    ctx.sleep(1.5)
    ctx.connect("c2", ctx.S4, 80, ctx.C4, 40100)
    ctx.accept("L", "ac2")
    ctx.c.cmd("wait c2 2")
    ctx.c.cmd("send c2 GET /second")
    ctx.s.cmd("recv ac2 1")
    ctx.s.cmd("send ac2 200 OK second")
    ctx.c.cmd("recv c2 1")
    ctx.sleep(1.5)
    ctx.c.cmd("close c2")
    ctx.s.cmd("recv ac2 1")
    ctx.s.cmd("close ac2")
    ctx.sleep(2.0)
    for host, st in (("client", "CLOSE_WAIT"), ("server", "FIN_WAIT_2"),
                     ("client", "CLOSED"), ("server", "TIME_WAIT"),
                     ("client", "ESTABLISHED"), ("server", "ESTABLISHED"),
                     ("client", "TIME_WAIT"), ("server", "CLOSED")):
        ctx.expect("c1", host, st)
    ctx.note("c1 and c2 share one 4-tuple; the truth for it is one timeline.")
