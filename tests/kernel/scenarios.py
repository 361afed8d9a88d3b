"""scenarios.py - the kernel-truth scenarios, one function each.

A scenario function gets `ctx` (record's Recording) and drives the client and
server agents (ctx.c, ctx.s: agent.py commands, see its docstring), adds and
removes nft drop rules (ctx.drop(name, at, match) / ctx.undrop(name); `at` is
one of record's PLACES: router:c2s, router:s2c, client:in, client:out,
server:in, server:out), and states what the recording must show
(ctx.expect(conn, host, state, stuck)), which endpoints the wire cannot
decide (ctx.ambiguous(conn, host, why, states)), the ESTABLISHED stalls the
tracker must alert on (ctx.expect_alert(conn, host, kind, side); with
conn None: none is due, a control) and free notes (ctx.note). A function's
`path_delay` attribute, (client side ms, server side ms), puts delay lines
on the path; variant(base, suffix, delay, what, **params) registers
base_suffix, the same function with other parameters and a delay.
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
RST = "tcp flags & rst == rst"

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


def _heal(ctx, hold, heal, fault):
    """Hold `hold` s; with `heal`, remove the fault `heal` s into it."""
    if heal:
        ctx.sleep(heal)
        ctx.undrop(fault)
        ctx.sleep(hold - heal)
    else:
        ctx.sleep(hold)


def _ack_heal(ctx, hold, heal, data_at):
    """ack_lost_*: hold; the fault removed at `heal`, or the client's first
    request (data, which carries the ACK past the PURE_ACK rule) at `data_at`."""
    t = 0.0
    for at, what in sorted((x, w) for x, w in ((heal, "heal"), (data_at, "data")) if x):
        ctx.sleep(at - t)
        t = at
        if what == "heal":
            ctx.undrop("ack")
        else:
            ctx.c.cmd("send c1 GET /late")
    ctx.sleep(hold - t)
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)
    if heal or data_at:
        ctx.expect("c1", "server", "ESTABLISHED")


def _normal(ctx, v6, idle=1.5, server_wait=1.5):
    _open(ctx, v6=v6)
    ctx.sleep(idle)
    ctx.c.cmd("close c1")  # FIN from the client; the server reads EOF ...
    ctx.s.cmd("recv ac1 1")
    ctx.sleep(server_wait)  # ... but its application closes only 1.5 s later
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    for host, st in (("client", "ESTABLISHED"), ("server", "ESTABLISHED"),
                     ("client", "FIN_WAIT_2"), ("server", "CLOSE_WAIT"),
                     ("client", "TIME_WAIT"), ("server", "CLOSED")):
        ctx.expect("c1", host, st)


@scenario
def normal_close(ctx, v6=False, idle=1.5, server_wait=1.5):
    """Normal connection over IPv4, the client closes first.

    Handshake, one request and answer, 1.5 s idle ESTABLISHED, the client
    closes (FIN_WAIT_2 / CLOSE_WAIT for 1.5 s while the server application
    takes its time), the server closes (LAST_ACK for one round trip), the
    client ends in TIME_WAIT and the server's socket is gone."""
    _normal(ctx, v6, idle, server_wait)


@scenario
def normal_close_v6(ctx):
    """The normal_close scenario over IPv6 (ULA addresses).

    Same steps as normal_close; the client ends in TIME_WAIT."""
    _normal(ctx, v6=True)


@scenario
def close_wait(ctx, idle=1.2, hold=5.0):
    """The server closes first; the client application never closes: the client
    is stuck in CLOSE_WAIT, the server in FIN_WAIT_2.

    The server's FIN is acknowledged at once by the client kernel; the client
    application reads nothing more and holds the socket for the rest of the
    recording (5 s). The server's orphaned FIN_WAIT_2 would last
    tcp_fin_timeout (60 s)."""
    _open(ctx)
    ctx.sleep(idle)
    ctx.s.cmd("close ac1")
    ctx.sleep(hold)
    ctx.expect("c1", "client", "CLOSE_WAIT", stuck=True)
    ctx.expect("c1", "server", "FIN_WAIT_2")


@scenario
def refused(ctx, n=2, gap=1.5, v6=False):
    """Connections to a closed port: the server kernel answers the SYN with
    RST/ACK, both endpoints are CLOSED.

    Two attempts 1.5 s apart to port 9 (nothing listens). The client socket
    exists in ss for microseconds only; its 4-tuple is known from the agent,
    and its absence afterwards is the truth CLOSED."""
    for i in range(1, n + 1):
        if i > 1:
            ctx.sleep(gap)
        ctx.connect("c%d" % i, ctx.S6 if v6 else ctx.S4, 9)
        ctx.c.cmd("wait c%d 1" % i)
    ctx.sleep(2.0)
    for c in ("c%d" % i for i in range(1, n + 1)):
        ctx.expect(c, "client", "CLOSED")
        ctx.expect(c, "server", "CLOSED")


@scenario
def syn_lost_after_sensor(ctx, hold=8.0, heal=None):
    """The client's SYN is dropped between the sensor and the server: the client
    is stuck in SYN_SENT, retransmitting; the server never heard of it.

    nft drops client->server SYNs in the router's forward chain (after the
    sensor). A listener exists on the server. The client retransmits its SYN
    at about 1, 3 and 7 s; nothing ever comes back."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("syn", "router:c2s", SYN)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    _heal(ctx, hold, heal, "syn")
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "server", "CLOSED")
    if heal:
        ctx.expect("c1", "client", "ESTABLISHED")
        ctx.expect("c1", "server", "ESTABLISHED")


@scenario
def synack_lost_after_sensor(ctx, hold=6.5, heal=None):
    """The server's SYN/ACK is dropped between the sensor and the client: the
    client is stuck in SYN_SENT, the server in SYN_RECEIVED.

    nft drops SYN/ACKs in the client's input chain (after the sensor). On the
    wire: SYN, SYN/ACK, then the client's SYN retransmissions each answered
    by another SYN/ACK, plus the server's own SYN/ACK retransmissions."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.drop("synack", "client:in", SYNACK)
    ctx.sleep(0.3)
    ctx.connect("c1", ctx.S4, 80)
    _heal(ctx, hold, heal, "synack")
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)
    if heal:
        ctx.expect("c1", "client", "ESTABLISHED")
        ctx.expect("c1", "server", "ESTABLISHED")


@scenario
def synack_lost_before_sensor(ctx, hold=6.5, heal=None):
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
    _heal(ctx, hold, heal, "synack")
    ctx.expect("c1", "client", "SYN_SENT", stuck=True)
    ctx.expect("c1", "server", "SYN_RECEIVED", stuck=True)
    if heal:
        ctx.expect("c1", "client", "ESTABLISHED")
        ctx.expect("c1", "server", "ESTABLISHED")
    ctx.ambiguous("c1", "server",
                  "the SYN/ACK was lost before the sensor: the wire shows only the client's "
                  "SYNs, identical to a SYN lost after the sensor (server CLOSED, see "
                  "syn_lost_after_sensor); nothing the sensor sees tells SYN_RECEIVED from "
                  "CLOSED", states=["SYN_RECEIVED"])


@scenario
def ack_lost_after_sensor(ctx, hold=7.5, heal=None, data_at=None):
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
    _ack_heal(ctx, hold, heal, data_at)


@scenario
def ack_lost_before_sensor(ctx, hold=7.5, heal=None, data_at=None):
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
    _ack_heal(ctx, hold, heal, data_at)


@scenario
def simultaneous_open(ctx, synack_hold=2.1, hold=3.5):
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
    ctx.sleep(synack_hold)
    ctx.undrop("synack-c", "synack-s")
    ctx.sleep(hold)
    ctx.expect("c1", "client", "SYN_RECEIVED")
    ctx.expect("c1", "server", "SYN_RECEIVED")
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "server", "ESTABLISHED")
    ctx.note("Both hosts are 'clients' here (both sent a bare SYN); the recording calls "
             "10.77.1.2:40001 the client only because of which namespace it is in.")


@scenario
def simultaneous_close(ctx, rto_scaled=False, hold=3.0):
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
    t_ack, t_heal = 1.2, 2.5
    if rto_scaled:
        # FIN retransmissions come r, 3r, 7r, 15r after the close (r = the
        # RTO, 0.2 s at the 200 ms minimum): the same rule changes at 6r and
        # 12.5r, r as the client's kernel has it
        r = int(ctx.c.cmd("tcpinfo c1").split()[4]) / 1e6
        t_ack, t_heal = 6 * r, 12.5 * r
        ctx.note("RTO %.3f s at the close: ACKs dropped from %.2f s, let through from %.2f s "
                 "after it" % (r, t_ack, t_heal))
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
    ctx.sleep(t_ack)
    ctx.drop("ack-c", "router:c2s", PURE_ACK)
    ctx.drop("ack-s", "client:in", PURE_ACK)
    ctx.undrop("fin-c", "fin-s")
    ctx.sleep(t_heal - t_ack)
    ctx.undrop("ack-c", "ack-s")
    ctx.sleep(hold)
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
def rst_lost_after_sensor(ctx, idle=1.2, silent=2.0, hold=2.5):
    """An abort's RST into a black hole: the client aborts (SO_LINGER {1, 0})
    and its RST is dropped between the sensor and the server: client CLOSED;
    the server, which never got it, stays ESTABLISHED until it next sends.
    Its segment then draws a RST from the client's host (no socket there
    any more), which arrives: server CLOSED.

    nft drops client->server RSTs in the router's forward chain (after the
    sensor) for the abort's RST only. A RST is never retransmitted: until
    the server sends, 2 s later, the wire is identical to a RST that
    arrived (WIRE-AMBIGUOUS for the server). The server's segment is the
    proof that it never got the RST."""
    _open(ctx)
    ctx.sleep(idle)
    ctx.drop("rst", "router:c2s", RST)
    ctx.c.cmd("abort c1")
    ctx.sleep(0.3)
    ctx.undrop("rst")
    ctx.sleep(silent)
    ctx.s.cmd("send ac1 late answer")
    ctx.sleep(hold)
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "client", "CLOSED")
    ctx.expect("c1", "server", "ESTABLISHED")
    ctx.expect("c1", "server", "CLOSED")
    ctx.ambiguous("c1", "server",
                  "the abort's RST was lost after the sensor: until the server next sends, "
                  "the wire is identical to a RST that arrived (server CLOSED, see "
                  "rst_abort)", states=["ESTABLISHED"])


@scenario
def fin_lost_after_sensor(ctx, idle=1.2, hold=7.0, heal=None):
    """FIN into a black hole: the client closes and its FIN is dropped between
    the sensor and the server: client stuck in FIN_WAIT_1, retransmitting the
    FIN; the server, which never got it, stays ESTABLISHED.

    nft drops client->server FINs in the router's forward chain (after the
    sensor). The server sends nothing after the request/answer, so the only
    evidence is the client's FIN retransmissions (about 0.2, 0.6, 1.4, 3,
    6.2 s after the close) and the absence of any ACK of the FIN."""
    _open(ctx)
    ctx.drop("fin", "router:c2s", FIN)
    ctx.sleep(idle)
    ctx.c.cmd("close c1")
    _heal(ctx, hold, heal, "fin")
    ctx.expect("c1", "client", "FIN_WAIT_1", stuck=True)
    ctx.expect("c1", "server", "ESTABLISHED")
    if heal:
        ctx.expect("c1", "client", "FIN_WAIT_2")
        ctx.expect("c1", "server", "CLOSE_WAIT", stuck=True)


@scenario
def last_ack(ctx, gap=1.5, hold=6.5, heal=None):
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
    ctx.sleep(gap)
    ctx.drop("ack", "router:c2s", PURE_ACK)
    ctx.s.cmd("close ac1")
    _heal(ctx, hold, heal, "ack")
    ctx.expect("c1", "client", "FIN_WAIT_2")
    ctx.expect("c1", "server", "CLOSE_WAIT")
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect("c1", "server", "LAST_ACK", stuck=True)
    if heal:
        ctx.expect("c1", "server", "CLOSED")


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
def half_close(ctx, parts=3, gap=0.6):
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
    for i in range(parts):
        ctx.sleep(gap)
        ctx.s.cmd("send ac1 part %d of the answer" % i)
        ctx.c.cmd("recv c1 1")
    ctx.sleep(gap)
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


# --------------------------------------------------------------------------
# Path-delay variants of the scenarios above: the same function with other
# timings, recorded with a delay line between the client and the sensor
# (client_side ms, one way), between the sensor and the server (server_side),
# or both. Suffixes: _d20c 20 ms client side, _d30s 30 ms server side, _d40
# 40 ms on both sides (a 160 ms round trip).

D20C, D30S, D40 = (20, 0), (0, 30), (40, 40)


def _delay_text(delay):
    c, s = delay
    parts = []
    if c:
        parts.append("%d ms each way between the client and the sensor" % c)
    if s:
        parts.append("%d ms each way between the sensor and the server" % s)
    return "Path delay: " + " and ".join(parts) + "."


def variant(base, suffix, delay, what="", **kw):
    """Register base_suffix: base(ctx, **kw) with a path delay."""
    def f(ctx):
        return base(ctx, **kw)
    f.__name__ = name = "%s_%s" % (base.__name__, suffix)
    doc = (base.__doc__ or "").strip().split("\n\n")
    head = doc[0].rstrip() + " (variant: %s%s)" % (_delay_text(delay).lower().rstrip("."),
                                                   "; " + what if what else "")
    f.__doc__ = "\n\n".join([head] + doc[1:] + [
        _delay_text(delay) + (" Variant: " + what + "." if what else "") +
        " Parameters: %s." % (", ".join("%s=%s" % kv for kv in sorted(kw.items())) or
                              "the base scenario's")])
    f.path_delay = delay
    ALL[name] = f
    return f


for _base, _vs in (
        (syn_lost_after_sensor, (
            ("d20c", D20C, "held 6 s", dict(hold=6.0)),
            ("d30s", D30S, "the drop removed 4.5 s after the connect: the next SYN "
             "retransmission (5 s) opens the connection", dict(hold=8.0, heal=4.5)),
            ("d40", D40, "held 9.5 s", dict(hold=9.5)))),
        (synack_lost_after_sensor, (
            ("d20c", D20C, "held 7.5 s", dict(hold=7.5)),
            ("d30s", D30S, "the drop removed 3.5 s after the connect: the SYN/ACK "
             "answering the next SYN retransmission opens the connection",
             dict(hold=7.0, heal=3.5)),
            ("d40", D40, "held 8 s", dict(hold=8.0)))),
        (synack_lost_before_sensor, (
            ("d20c", D20C, "the drop removed 2.5 s after the connect: the next SYN/ACK "
             "opens the connection", dict(hold=6.5, heal=2.5)),
            ("d30s", D30S, "held 8 s", dict(hold=8.0)),
            ("d40", D40, "held 7 s", dict(hold=7.0)))),
        (ack_lost_after_sensor, (
            ("d20c", D20C, "held 8.5 s", dict(hold=8.5)),
            ("d30s", D30S, "the client sends a request 3.5 s after the connect: the data "
             "segment carries the ACK and the server becomes ESTABLISHED",
             dict(hold=7.0, data_at=3.5)),
            ("d40", D40, "the drop removed 4.5 s after the connect: the duplicate ACK "
             "answering the next SYN/ACK retransmission (about 7 s) completes the open",
             dict(hold=9.0, heal=4.5)))),
        (ack_lost_before_sensor, (
            ("d20c", D20C, "the client sends a request 2.5 s after the connect: the data "
             "segment carries the ACK", dict(hold=6.5, data_at=2.5)),
            ("d30s", D30S, "the drop removed 4.5 s after the connect: the duplicate ACK "
             "answering the next SYN/ACK retransmission completes the open",
             dict(hold=9.0, heal=4.5)),
            ("d40", D40, "held 8 s", dict(hold=8.0)))),
        (fin_lost_after_sensor, (
            ("d20c", D20C, "closed 0.5 s after the answer, held 8 s", dict(idle=0.5, hold=8.0)),
            ("d30s", D30S, "the drop removed 2 s after the close: the next FIN "
             "retransmission arrives, client FIN_WAIT_2, server CLOSE_WAIT (its "
             "application never closes)", dict(hold=6.0, heal=2.0)),
            ("d40", D40, "held 9 s", dict(hold=9.0)))),
        (rst_lost_after_sensor, (
            ("d20c", D20C, "the server sends 1.5 s after the abort", dict(silent=1.5)),
            ("d30s", D30S, "the server sends 3 s after the abort", dict(silent=3.0)),
            ("d40", D40, "", dict()))),
        (last_ack, (
            ("d20c", D20C, "the server closes 1.3 s after the client, held 7 s",
             dict(gap=1.3, hold=7.0)),
            ("d30s", D30S, "the drop removed 3 s after the server's close: the ACK of the "
             "next FIN retransmission ends LAST_ACK", dict(hold=6.5, heal=3.0)),
            ("d40", D40, "the server closes 2 s after the client, held 8 s",
             dict(gap=2.0, hold=8.0)))),
        (simultaneous_open, (
            ("d20c", D20C, "held 4 s", dict(hold=4.0)),
            ("d30s", D30S, "", dict()),
            ("d40", D40, "held 4.5 s", dict(hold=4.5)))),
        (simultaneous_close, (
            ("d20c", D20C, "rule changes scaled to the RTO", dict(rto_scaled=True)),
            ("d30s", D30S, "rule changes scaled to the RTO, held 4 s",
             dict(rto_scaled=True, hold=4.0)),
            ("d40", D40, "rule changes scaled to the RTO", dict(rto_scaled=True)),
            ("d10c60s", (10, 60), "rule changes scaled to the RTO, over paths "
             "six times apart", dict(rto_scaled=True)))),
        (close_wait, (
            ("d20c", D20C, "held 6 s", dict(hold=6.0)),
            ("d30s", D30S, "the server closes 0.5 s after the answer, held 4 s",
             dict(idle=0.5, hold=4.0)),
            ("d40", D40, "the server closes 2 s after the answer", dict(idle=2.0)))),
        (half_close, (
            ("d20c", D20C, "two answers 1 s apart", dict(parts=2, gap=1.0)),
            ("d30s", D30S, "four answers 0.4 s apart", dict(parts=4, gap=0.4)),
            ("d40", D40, "three answers 0.8 s apart", dict(parts=3, gap=0.8)))),
        (refused, (
            ("d20c", D20C, "three attempts 1.2 s apart", dict(n=3, gap=1.2)),
            ("d30s", D30S, "two attempts 2 s apart", dict(n=2, gap=2.0)),
            ("d40", D40, "over IPv6", dict(n=2, gap=1.5, v6=True)))),
        (normal_close, (
            ("d20c", D20C, "idle 1.3 s, the server closes 2 s after the client",
             dict(idle=1.3, server_wait=2.0)),
            ("d30s", D30S, "over IPv6, idle 2 s, the server closes 1.2 s after the client",
             dict(v6=True, idle=2.0, server_wait=1.2)),
            ("d40", D40, "", dict())))):
    for _suffix, _delay, _what, _kw in _vs:
        variant(_base, _suffix, _delay, _what, **_kw)


# --------------------------------------------------------------------------
# Held-out timings: the loss cases and the stalls above (and two of their
# controls) again, with path delays no
# checked-in recording has (50 ms client side, 60 ms server side, 15 + 45
# ms). They are registered only on demand (`record --held-out --out DIR`,
# DIR outside pcaps/kernel), never checked in, and scored with a floors file
# of their own: a rule made on the checked-in recordings should hold on
# these, as it must on the project's independent measurements.

HELD_OUT_DELAYS = (("h50c", (50, 0)), ("h60s", (0, 60)), ("h15c45s", (15, 45)),
                   ("x25c5s", (25, 5)), ("x35", (35, 35)),
                   ("y5c100s", (5, 100)), ("y100c5s", (100, 5)))


def register_held_out():
    """Register the held-out variants; returns their names."""
    names = []
    for base in (syn_lost_after_sensor, synack_lost_after_sensor,
                 synack_lost_before_sensor, ack_lost_after_sensor,
                 ack_lost_before_sensor, fin_lost_after_sensor,
                 rst_lost_after_sensor, last_ack,
                 simultaneous_open, simultaneous_close, close_wait, half_close,
                 refused, normal_close,
                 stall_blackhole_after_sensor_v4, stall_blackhole_before_sensor,
                 stall_acks_lost_after_sensor, stall_zero_window_v4,
                 stall_keepalive_unanswered, stall_mtu_blackhole,
                 stall_mtu_blackhole_before_sensor, control_bulk_loss,
                 control_keepalive_answered, control_idle,
                 control_half_close_data, rst_abort, port_reuse, syn_timeout):
        kw = dict(rto_scaled=True) if base is simultaneous_close else {}
        for suffix, delay in HELD_OUT_DELAYS:
            # Its drop phases are timed for shorter paths: behind 100 ms
            # neither host reaches a quiet TIME_WAIT within the recording,
            # and its self-check fails.
            if base is simultaneous_close and max(delay) >= 100:
                continue
            names.append(variant(base, suffix, delay, "held-out timing", **kw).__name__)
    # Every fate at once, behind the delays both sides take together.
    for suffix, delay in (("h15c45s", (15, 45)), ("x35", (35, 35))):
        names.append(variant(many_fates, suffix, delay, "held-out timing").__name__)
    return names


# --------------------------------------------------------------------------
# Stalls of established connections (section 5's second family). Each
# records "expected_alerts" in scenario.json: the stuck endpoint (the sender
# whose data is not acknowledged, the host not reading, the keepalive
# prober), the kind, and on which side of the sensor the packets are lost;
# the controls expect none. Every stall lasts at least 8 s from its start
# and the recording ends with a hold in which the states are steady.

def _est(ctx, conn="c1", hosts=("client", "server")):
    for h in hosts:
        ctx.expect(conn, h, "ESTABLISHED")


def stall_blackhole_after_sensor(ctx, v6=False, hold=9.0):
    """Data into a black hole after the sensor: the client's data is dropped
    between the sensor and the server; the client retransmits it (RTO backoff
    0.2, 0.4, 0.8 ... s) and nothing is ever acknowledged. Both kernels stay
    ESTABLISHED; the client is the stuck sender.

    Handshake and one request/answer, then every client->server segment of
    the connection is dropped in the router's forward chain (after the
    sensor); the client writes 300 bytes, then 300 more 1 s later; held
    9 s after the first write. The server sends nothing."""
    _open(ctx, v6=v6)
    ctx.c.cmd("sockopt c1 nodelay 1")
    ctx.sleep(0.5)
    ctx.drop("data", "router:c2s", "tcp dport 80")
    ctx.c.cmd("sendn c1 300 300 2")
    ctx.sleep(1.0)
    ctx.c.cmd("sendn c1 300 300 2")
    ctx.sleep(hold - 1.0)
    _est(ctx)
    ctx.expect_alert("c1", "client", "unacked_data", "after_sensor")


@scenario
def stall_blackhole_after_sensor_v4(ctx):
    """Data into a black hole after the sensor (IPv4): client stuck
    retransmitting unacknowledged data, both ESTABLISHED.

    See stall_blackhole_after_sensor in scenarios.py: every client->server
    segment dropped in the router's forward chain after the handshake and one
    request/answer; two writes of 300 bytes 1 s apart, held 9 s."""
    stall_blackhole_after_sensor(ctx)


@scenario
def stall_blackhole_after_sensor_v6(ctx):
    """Data into a black hole after the sensor (IPv6): client stuck
    retransmitting unacknowledged data, both ESTABLISHED.

    As stall_blackhole_after_sensor_v4, over IPv6."""
    stall_blackhole_after_sensor(ctx, v6=True)


variant(stall_blackhole_after_sensor_v4, "d40", D40, "")


@scenario
def stall_blackhole_before_sensor(ctx):
    """Data lost before the sensor: the server's data segments are dropped
    between the server and the sensor while its pure ACKs pass; the server is
    the stuck sender, both kernels ESTABLISHED.

    The client streams 100 bytes every 0.25 s to the server for the whole
    recording; the server acknowledges them (pure ACKs, which pass and whose
    sequence number moves past the data the sensor never sees) and writes
    two answers of 300 bytes 1 s apart, whose segments and every
    retransmission are dropped in the router's forward chain (server->client,
    IP length > 100: data only), before the sensor. The client's
    acknowledgement number never covers the server's data. Held 9 s after
    the first write. (Not dropped in the server's own output chain: a
    segment refused there is never sent as far as TCP is concerned.)"""
    _open(ctx)
    ctx.c.cmd("sockopt c1 nodelay 1")
    ctx.s.cmd("sockopt ac1 nodelay 1")
    ctx.c.cmd("pump c1 6000 100 0.25")
    ctx.s.cmd("sink ac1")
    ctx.sleep(1.0)
    ctx.drop("data", "router:s2c", "tcp sport 80 ip length > 100")
    ctx.s.cmd("sendn ac1 300 300 2")
    ctx.sleep(1.0)
    ctx.s.cmd("sendn ac1 300 300 2")
    ctx.sleep(8.0)
    _est(ctx)
    ctx.expect_alert("c1", "server", "unacked_data", "before_sensor")


@scenario
def stall_acks_lost_after_sensor(ctx):
    """ACKs lost after the sensor: the server receives the client's data and
    acknowledges it, but its ACKs are dropped between the sensor and the
    client; the client retransmits for ever, the server answers every
    retransmission with a duplicate ACK (D-SACK). The client is the stuck
    sender; both kernels ESTABLISHED.

    The server's pure ACKs are dropped in the client's input chain (after the
    sensor) from 0.5 s after the request/answer; the client writes 300 bytes
    and 300 more 1 s later; held 9 s after the first write."""
    _open(ctx)
    ctx.c.cmd("sockopt c1 nodelay 1")
    ctx.sleep(0.5)
    ctx.drop("ack", "client:in", "tcp sport 80 " + PURE_ACK)
    ctx.c.cmd("sendn c1 300 300 2")
    ctx.sleep(1.0)
    ctx.c.cmd("sendn c1 300 300 2")
    ctx.sleep(8.0)
    _est(ctx)
    ctx.expect_alert("c1", "client", "unacked_data", "after_sensor")


def stall_zero_window(ctx, hold=10.0):
    """A zero window: the server application never reads; its small receive
    buffer fills, it advertises a zero window, and the client keeps probing
    it (zero-window probes, answered with the zero window). Both kernels
    ESTABLISHED; the stuck endpoint is the server (the host not reading).

    The listener has SO_RCVBUF 2048 (inherited by the accepted socket); the
    client has SO_SNDBUF 16384 and a background writer that pushes 200 kB in
    writes of 1000 bytes as far as the buffers take them. The server reads
    nothing after the request; held 10 s after the writer starts."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.s.cmd("sockopt L rcvbuf 2048")
    ctx.sleep(0.3)
    _open(ctx, listen=False)
    ctx.c.cmd("sockopt c1 sndbuf 16384")
    ctx.sleep(0.5)
    ctx.c.cmd("pump c1 200000 1000")
    ctx.sleep(hold)
    ctx.c.cmd("bg c1 0")
    _est(ctx)
    ctx.expect_alert("c1", "server", "zero_window", "none")


@scenario
def stall_zero_window_v4(ctx):
    """A zero window held 10 s: the server application never reads, the
    client probes the closed window; both ESTABLISHED, the server is stuck.

    See stall_zero_window in scenarios.py: listener SO_RCVBUF 2048, client
    SO_SNDBUF 16384 and a writer of 200 kB in 1000-byte writes."""
    stall_zero_window(ctx)


variant(stall_zero_window_v4, "d40", D40, "")


@scenario
def stall_keepalive_unanswered(ctx):
    """Keepalives to a peer cut off both ways: the client's kernel probes an
    idle connection (TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 2 s, TCP_KEEPCNT 5),
    no probe is answered, and after the fifth it gives up and sends a RST
    (lost too): client ESTABLISHED -> CLOSED by its keepalive timer; the
    server's kernel, which heard nothing, stays ESTABLISHED.

    After the request/answer every segment between the hosts is dropped in
    the router's forward chain (client->server after the sensor,
    server->client before it; the server sends nothing). Probes about 1, 3,
    5, 7 and 9 s after the last data, the RST about 11 s after it; held 2.5 s
    more."""
    _open(ctx)
    for opt, v in (("keepidle", 1), ("keepintvl", 2), ("keepcnt", 5), ("keepalive", 1)):
        ctx.c.cmd("sockopt c1 %s %d" % (opt, v))
    ctx.drop("cut-c2s", "router:c2s", "tcp dport 80")
    ctx.drop("cut-s2c", "router:s2c", "tcp sport 80", expect_drops=False,
             why="the server has nothing to send; the rule makes the cut total")
    ctx.sleep(13.5)
    ctx.expect("c1", "client", "ESTABLISHED")
    ctx.expect("c1", "client", "CLOSED")
    ctx.expect("c1", "server", "ESTABLISHED")
    ctx.expect_alert("c1", "client", "keepalive_unanswered", "after_sensor")


@scenario
def stall_mtu_blackhole(ctx):
    """An MTU black hole after the sensor: client->server packets longer than
    1000 bytes (IP length) are dropped between the sensor and the server;
    the client's small writes pass and are acknowledged (or SACKed), its
    large segment is retransmitted for ever. Both ESTABLISHED; the client is
    the stuck sender.

    TCP_NODELAY on the client. After the request/answer: a write of 200
    bytes (passes, acknowledged), 0.5 s later one of 1400 bytes (one
    segment, dropped in the router's forward chain) and at once three of 200
    bytes (pass, SACKed above the hole; after the first timeout the client
    sends nothing but the large segment). Held 9 s after the large write."""
    _open(ctx)
    ctx.c.cmd("sockopt c1 nodelay 1")
    ctx.drop("big", "router:c2s", "tcp dport 80 ip length > 1000")
    ctx.sleep(0.5)
    ctx.c.cmd("sendn c1 200 200 2")
    ctx.sleep(0.5)
    ctx.c.cmd("sendn c1 1400 1400 2")
    for _ in range(3):
        ctx.c.cmd("sendn c1 200 200 2")
    ctx.sleep(9.0)
    _est(ctx)
    ctx.expect_alert("c1", "client", "mtu_blackhole", "after_sensor")


@scenario
def stall_mtu_blackhole_before_sensor(ctx):
    """An MTU black hole before the sensor: server->client packets longer than
    1000 bytes (IP length) are dropped between the server and the sensor;
    the server's small writes pass (the client SACKs those above the hole),
    its large segment never reaches the sensor or the client and is
    retransmitted for ever. Both ESTABLISHED; the server is the stuck
    sender.

    TCP_NODELAY on the server. After the request/answer: a write of 200
    bytes (passes, acknowledged), 0.5 s later one of 1400 bytes (one
    segment, dropped in the router's forward chain before the sensor) and at
    once three of 200 bytes. The client's acknowledgement number stays at
    the start of the hole. Held 9 s after the large write."""
    _open(ctx)
    ctx.s.cmd("sockopt ac1 nodelay 1")
    ctx.drop("big", "router:s2c", "tcp sport 80 ip length > 1000")
    ctx.sleep(0.5)
    ctx.s.cmd("sendn ac1 200 200 2")
    ctx.sleep(0.5)
    ctx.s.cmd("sendn ac1 1400 1400 2")
    for _ in range(3):
        ctx.s.cmd("sendn ac1 200 200 2")
    ctx.sleep(9.0)
    _est(ctx)
    ctx.expect_alert("c1", "server", "mtu_blackhole", "before_sensor")


@scenario
def control_bulk_loss(ctx, total=1500000, timeout=20):
    """Control (no alert due): a bulk transfer of 1.5 MB client->server through
    1 % random loss after the sensor; fast retransmits and SACK recover, the
    transfer completes, the connection is closed normally.

    nft `numgen random mod 100 < 1` drops client->server segments in the
    router's forward chain; the server reads as fast as it can."""
    _open(ctx)
    ctx.s.cmd("sink ac1")
    ctx.drop("loss1pct", "router:c2s", "tcp dport 80 numgen random mod 100 < 1")
    ctx.c.cmd("sendn c1 %d 65536 %d" % (total, timeout), timeout=timeout + 5)
    ctx.s.cmd("bg ac1 0")
    ctx.sleep(1.5)
    ctx.undrop("loss1pct")
    ctx.c.cmd("close c1")
    ctx.sleep(1.0)
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect("c1", "server", "CLOSED")
    ctx.expect_alert(None, None, None, None)


@scenario
def control_slow_reader(ctx, total=60000, drain=1.5):
    """Control (no alert due): a slow reader that catches up: the server
    application starts reading 1.5 s late, its small window closes meanwhile
    (zero window, probed by the client) and then opens; the transfer of 60 kB
    completes and the connection is closed normally.

    Listener SO_RCVBUF 2048; the client writes 60 kB in 1000-byte writes; the
    server reads from 1.5 s after the writer started, as fast as it can."""
    ctx.s.cmd("listen L %s 80" % ctx.S4)
    ctx.s.cmd("sockopt L rcvbuf 2048")
    ctx.sleep(0.3)
    _open(ctx, listen=False)
    ctx.sleep(0.5)
    ctx.s.cmd("sink ac1 1.5")
    ctx.c.cmd("pump c1 %d 1000" % total)
    ctx.c.cmd("bg c1 10")
    ctx.sleep(drain)
    ctx.c.cmd("close c1")
    ctx.sleep(1.0)
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect("c1", "server", "CLOSED")
    ctx.expect_alert(None, None, None, None)


@scenario
def control_keepalive_answered(ctx):
    """Control (no alert due): keepalives answered: TCP_KEEPIDLE 1 s,
    TCP_KEEPINTVL 1 s, TCP_KEEPCNT 3 on the client, the connection idle 9 s;
    every probe is answered by the server's kernel, both stay ESTABLISHED,
    then a normal close."""
    _open(ctx)
    for opt, v in (("keepidle", 1), ("keepintvl", 1), ("keepcnt", 3), ("keepalive", 1)):
        ctx.c.cmd("sockopt c1 %s %d" % (opt, v))
    ctx.sleep(9.0)
    ctx.c.cmd("close c1")
    ctx.s.cmd("recv ac1 1")
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    _est(ctx)
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect_alert(None, None, None, None)


@scenario
def control_idle(ctx):
    """Control (no alert due): a connection idle for 10 s (no keepalive,
    nothing on the wire), then another request/answer and a normal close."""
    _open(ctx)
    ctx.sleep(10.0)
    ctx.c.cmd("send c1 GET /again")
    ctx.s.cmd("recv ac1 1")
    ctx.s.cmd("send ac1 200 OK again")
    ctx.c.cmd("recv c1 1")
    ctx.sleep(0.5)
    ctx.c.cmd("close c1")
    ctx.s.cmd("recv ac1 1")
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    _est(ctx)
    ctx.expect("c1", "client", "TIME_WAIT")
    ctx.expect_alert(None, None, None, None)


@scenario
def control_half_close_data(ctx):
    """Control (no alert due): data in a half-closed connection: the client
    shuts down its sending side after the request, the server streams 100
    bytes every 0.5 s for 6 s (CLOSE_WAIT) while the client reads in
    FIN_WAIT_2, then the server closes."""
    _open(ctx)
    ctx.c.cmd("shutdown c1")
    ctx.s.cmd("recv ac1 1")
    ctx.c.cmd("sink c1")
    ctx.s.cmd("sockopt ac1 nodelay 1")
    ctx.s.cmd("pump ac1 1200 100 0.5")
    ctx.s.cmd("bg ac1 10")
    ctx.sleep(0.5)
    ctx.s.cmd("close ac1")
    ctx.sleep(2.0)
    for host, st in (("client", "FIN_WAIT_2"), ("server", "CLOSE_WAIT"),
                     ("client", "TIME_WAIT"), ("server", "CLOSED")):
        ctx.expect("c1", host, st)
    ctx.expect_alert(None, None, None, None)


# The same stalls and controls behind a 40 ms delay on both sides of the
# sensor (a 160 ms round trip): the retransmission timeouts start from the
# measured round trip instead of the 200 ms floor, and every answer the
# sensor waits for is 80 ms further away.
for _base, _what, _kw in (
        (stall_blackhole_after_sensor_v6, "", dict()),
        (stall_blackhole_before_sensor, "", dict()),
        (stall_acks_lost_after_sensor, "", dict()),
        (stall_keepalive_unanswered, "", dict()),
        (stall_mtu_blackhole, "", dict()),
        (stall_mtu_blackhole_before_sensor, "", dict()),
        (control_bulk_loss, "1 MB (the capture stays near the size of the base's)",
         dict(total=1000000, timeout=30)),
        (control_slow_reader, "20 kB, the client closes 6.5 s after its last write "
         "(the small window refills once a round trip, about 4.5 kB/s)",
         dict(total=20000, drain=6.5)),
        (control_keepalive_answered, "", dict())):
    variant(_base, "d40", D40, _what, **_kw)


# --------------------------------------------------------------------------
# Many connections, every fate of the single scenarios, with path delay.

FATES = (  # group, port, v6, fate
    ("N", 80, False, "normal close over IPv4, the client first"),
    ("V", 80, True, "normal close over IPv6"),
    ("X", 81, False, "refused (no listener, RST)"),
    ("Y", 82, False, "SYN dropped after the sensor: client SYN_SENT, server CLOSED"),
    ("A", 86, False, "SYN/ACK dropped after the sensor: SYN_SENT / SYN_RECEIVED"),
    ("B", 87, False, "SYN/ACK dropped before the sensor: SYN_SENT / SYN_RECEIVED "
     "(server wire-ambiguous)"),
    ("K", 88, False, "final handshake ACK dropped after the sensor: client ESTABLISHED, "
     "server SYN_RECEIVED"),
    ("F", 89, False, "client FIN dropped after the sensor: client FIN_WAIT_1, server "
     "ESTABLISHED"),
    ("L", 90, False, "client ACK of the server's FIN dropped after the sensor: server "
     "LAST_ACK, client TIME_WAIT"),
    ("W", 84, False, "server closes, the client application never does: CLOSE_WAIT"),
    ("H", 91, False, "half close: the client shuts down, the server sends two more "
     "answers in CLOSE_WAIT, then closes"),
    ("R", 83, False, "reset by the client (SO_LINGER 0)"),
    ("Q", 85, False, "reset by the server (SO_LINGER 0)"),
    ("P", 92, False, "port reuse: server closes first (TIME_WAIT), the client "
     "connects again from the same port (second connections Z0-Z2)"),
)
FATE_N = 3


def many_fates(ctx):
    """42 connections, three of each fate of the single scenarios, with path
    delay (20 ms client side, 30 ms server side): normal close (IPv4, IPv6),
    refused, SYN lost, SYN/ACK lost after / before the sensor, final ACK
    lost, FIN lost, LAST_ACK stuck, CLOSE_WAIT, half close, reset by either
    side, port reuse.

    Each fate has its own server port (group letter = first letter of the
    connection names, see notes); the drops match on that port. All connect
    within a few ms, the live ones exchange a request and an answer, idle
    1.5 s; then the first closes (clients of N, V, F, L; client shutdown of
    H; server close of W and P; aborts of R and Q), 1.5 s later the second
    (servers of N, V, H, L; clients of P); 1.8 s later the P clients connect
    again from their fixed ports (Z), exchange, and the client closes."""
    S4, S6 = ctx.S4, ctx.S6
    port = {g: p for g, p, _, _ in FATES}
    for g, p, v6, _ in FATES:
        if g not in "XY":
            ctx.s.cmd("listen L%s %s %d" % (g, S6 if v6 else S4, p))
    ctx.drop("synY", "router:c2s", "tcp dport %d %s" % (port["Y"], SYN))
    ctx.drop("synackA", "client:in", "tcp sport %d %s" % (port["A"], SYNACK))
    ctx.drop("synackB", "router:s2c", "tcp sport %d %s" % (port["B"], SYNACK))
    ctx.drop("ackK", "router:c2s", "tcp dport %d %s" % (port["K"], PURE_ACK))
    ctx.sleep(0.3)
    for g, p, v6, _ in FATES:
        if g == "P":
            for i in range(FATE_N):
                ctx.connect("P%d" % i, S4, p, ctx.C4, 40300 + i)
        else:
            ctx.connectn(g, FATE_N, S6 if v6 else S4, p)
    live = "NVRQWFLHP"
    for g in live:
        ctx.acceptn("L" + g, "a" + g, FATE_N)
    for g in live + "K":
        ctx.c.cmd("wait %s* 2" % g)
    ctx.c.cmd("wait X* 1")
    for g in live:
        ctx.c.cmd("send %s* GET /%s" % (g, g))
    for g in live:
        ctx.s.cmd("recv a%s* 1" % g)
        ctx.s.cmd("send a%s* 200 OK %s" % (g, g))
    for g in live:
        ctx.c.cmd("recv %s* 1" % g)
    ctx.sleep(1.5)
    # first closes
    ctx.drop("finF", "router:c2s", "tcp dport %d %s" % (port["F"], FIN))
    ctx.c.cmd("close N*")
    ctx.c.cmd("close V*")
    ctx.c.cmd("close F*")
    ctx.c.cmd("close L*")
    ctx.c.cmd("shutdown H*")
    ctx.c.cmd("abort R*")
    ctx.s.cmd("abort aQ*")
    ctx.s.cmd("close aW*")
    ctx.s.cmd("close aP*")
    ctx.sleep(0.3)
    for g in "NVLH":
        ctx.s.cmd("recv a%s* 1" % g)
    ctx.s.cmd("send aH* part 1")
    ctx.c.cmd("recv H* 1")
    ctx.sleep(1.2)
    # second closes
    ctx.s.cmd("close aN*")
    ctx.s.cmd("close aV*")
    ctx.drop("ackL", "router:c2s", "tcp dport %d %s" % (port["L"], PURE_ACK))
    ctx.s.cmd("close aL*")
    ctx.s.cmd("send aH* part 2")
    ctx.c.cmd("recv H* 1")
    ctx.s.cmd("close aH*")
    ctx.c.cmd("close P*")
    ctx.sleep(1.8)
    # port reuse
    for i in range(FATE_N):
        ctx.connect("Z%d" % i, S4, port["P"], ctx.C4, 40300 + i)
    ctx.acceptn("LP", "aZ", FATE_N)
    ctx.c.cmd("wait Z* 2")
    ctx.c.cmd("send Z* GET /again")
    ctx.s.cmd("recv aZ* 1")
    ctx.s.cmd("send aZ* 200 OK again")
    ctx.c.cmd("recv Z* 1")
    ctx.sleep(1.2)
    ctx.c.cmd("close Z*")
    ctx.s.cmd("recv aZ* 1")
    ctx.s.cmd("close aZ*")
    ctx.sleep(2.5)

    E, C = "ESTABLISHED", "CLOSED"
    fates = {
        "N": [("client", E), ("client", "FIN_WAIT_2"), ("client", "TIME_WAIT"),
              ("server", E), ("server", "CLOSE_WAIT"), ("server", C)],
        "X": [("client", C), ("server", C)],
        "Y": [("client", "SYN_SENT"), ("server", C)],
        "A": [("client", "SYN_SENT"), ("server", "SYN_RECEIVED")],
        "K": [("client", E), ("server", "SYN_RECEIVED")],
        "F": [("client", E), ("client", "FIN_WAIT_1"), ("server", E)],
        "L": [("client", E), ("client", "FIN_WAIT_2"), ("client", "TIME_WAIT"),
              ("server", E), ("server", "CLOSE_WAIT"), ("server", "LAST_ACK")],
        "W": [("client", E), ("client", "CLOSE_WAIT"), ("server", E), ("server", "FIN_WAIT_2")],
        "R": [("client", E), ("client", C), ("server", E), ("server", C)],
        "P": [("client", E), ("client", "CLOSE_WAIT"), ("client", C), ("server", E),
              ("server", "FIN_WAIT_2"), ("server", "TIME_WAIT"), ("client", "TIME_WAIT")],
    }
    fates["V"] = fates["H"] = fates["N"]
    fates["B"] = fates["A"]
    fates["Q"] = fates["R"]
    stuck = {"SYN_SENT", "SYN_RECEIVED", "FIN_WAIT_1", "LAST_ACK", "CLOSE_WAIT"}
    for g, _, _, _ in FATES:
        for i in range(FATE_N):
            for host, st in fates[g]:
                ctx.expect("%s%d" % (g, i), host, st,
                           stuck=st in stuck and not (g in "NVH" and st == "CLOSE_WAIT"))
            if g == "B":
                ctx.ambiguous("B%d" % i, "server",
                              "SYN/ACK lost before the sensor: the wire shows only the "
                              "client's SYNs, like a SYN lost after the sensor",
                              states=["SYN_RECEIVED"])
    ctx.note("groups: " + "; ".join("%s0-%s%d (port %d): %s" % (g, g, FATE_N - 1, p, fate)
                                    for g, p, _, fate in FATES))
    ctx.note("Z0-Z2 reuse the 4-tuples of P0-P2; the truth has one timeline per 4-tuple.")


many_fates.path_delay = (20, 30)
scenario(many_fates)

# The same fates behind 40 ms on each side of the sensor (an 80 ms round trip
# on each side, 160 ms end to end): every rule that waits on a round trip is
# tried at a round trip a namespace does not have.
variant(many_fates, "d40", D40, "40 ms on each side")
