package dev.ukemu.devices.net.user;

import static dev.ukemu.devices.net.user.Wire.TCP_ACK;
import static dev.ukemu.devices.net.user.Wire.TCP_FIN;
import static dev.ukemu.devices.net.user.Wire.TCP_PSH;
import static dev.ukemu.devices.net.user.Wire.TCP_RST;
import static dev.ukemu.devices.net.user.Wire.TCP_SYN;
import static dev.ukemu.devices.net.user.Wire.seqGe;
import static dev.ukemu.devices.net.user.Wire.seqGt;
import static dev.ukemu.devices.net.user.Wire.seqLe;
import static dev.ukemu.devices.net.user.Wire.seqLt;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * One guest TCP connection, terminated here and relayed to a host socket, as slirp does: the
 * guest talks to a full TCP endpoint (RFC 793, with RFC 1122 and RFC 6298 timers) whose other
 * side is a {@link SocketChannel}.
 *
 * <p>Back-pressure runs both ways without loss. Host data is read only while the send buffer
 * has room, and sent only within the guest's window while the NIC takes frames; guest data is
 * accepted only within the window advertised, which is the room left before the host socket.
 */
final class TcpConnection implements SelectHandler {
    enum State {
        /** The guest's SYN arrived; the host connect is under way. */
        CONNECTING,
        /** A host forward accepted a connection; our SYN went to the guest. */
        SYN_SENT,
        SYN_RCVD,
        ESTABLISHED,
        CLOSE_WAIT,
        FIN_WAIT_1,
        FIN_WAIT_2,
        CLOSING,
        LAST_ACK,
        TIME_WAIT,
        CLOSED
    }

    /** RFC 1122 4.2.2.6: the MSS to assume when the guest sends none. */
    private static final int DEFAULT_MSS = 536;
    private static final int MAX_WINDOW = 65535;
    private static final int MAX_BACKOFF_SHIFT = 10;

    private record Segment(int seq, byte[] data, boolean fin) {}

    final TcpNat nat;
    final TcpNat.Key key;
    private final Tunables tunables;
    State state;
    private SocketChannel host;
    private SelectionKey selectionKey;

    // Host to guest: RFC 793 send sequence variables; toGuest holds the bytes from sndUna on.
    private int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int maxSndWnd;
    private int mss;
    private final ByteRing toGuest;
    private boolean hostEof;
    private boolean finSent;
    private int finSeq;
    private int dupAcks;

    // Guest to host: toHost holds in-order guest bytes the host socket has not taken yet.
    private int irs;
    private int rcvNxt;
    private int rcvAdvEdge;
    private final ByteRing toHost;
    private final List<Segment> outOfOrder = new ArrayList<>();
    private boolean guestFin;
    private boolean hostOutputShut;
    boolean ackPending;

    // The one timer: SYN and data retransmission, window probes, TIME_WAIT.
    long timerAt;
    private int backoff;
    private int retransmits;
    private long srtt = -1;
    private long rttvar;
    private long rto;
    private boolean timing;
    private int rttSeq;
    private long rttStart;
    /** The guest's SYN, quoted in an ICMP error if the host connect fails. */
    private byte[] synPacket;

    TcpConnection(TcpNat nat, TcpNat.Key key, Tunables tunables, int iss) {
        this.nat = nat;
        this.key = key;
        this.tunables = tunables;
        this.toGuest = new ByteRing(tunables.tcpSendBuffer());
        this.toHost = new ByteRing(tunables.tcpReceiveBuffer());
        this.rto = tunables.rtoInitialNanos();
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.sndMax = iss;
    }

    // ---- opening ----

    /** The guest's SYN to a new destination: connect the host socket. */
    void openFromGuest(TcpSegment syn, byte[] synPacket, SocketChannel channel, boolean connectedAlready) {
        state = State.CONNECTING;
        irs = syn.seq();
        rcvNxt = irs + 1;
        rcvAdvEdge = rcvNxt;
        takePeerParameters(syn);
        this.synPacket = synPacket;
        host = channel;
        register(connectedAlready ? 0 : SelectionKey.OP_CONNECT);
        if (connectedAlready && state == State.CONNECTING) {
            hostConnected();
        }
    }

    /** The guest's SYN to a destination the host could not even start connecting to. */
    void openFailed(TcpSegment syn, byte[] synPacket, IOException e) {
        state = State.CONNECTING;
        irs = syn.seq();
        rcvNxt = irs + 1;
        rcvAdvEdge = rcvNxt;
        this.synPacket = synPacket;
        hostConnectFailed(e);
    }

    /** A host forward accepted {@code channel}: offer the connection to the guest. */
    void openFromHost(SocketChannel channel) {
        host = channel;
        state = State.SYN_SENT;
        register(0);
        if (state == State.SYN_SENT) {
            sendSyn();
        }
    }

    private void takePeerParameters(TcpSegment syn) {
        mss = Math.min(syn.mss() > 0 ? syn.mss() : DEFAULT_MSS, tunables.tcpMss());
        mss = Math.max(mss, 64);
        sndWnd = syn.window();
        maxSndWnd = sndWnd;
        sndWl1 = syn.seq();
        sndWl2 = syn.ack();
    }

    private void register(int ops) {
        try {
            selectionKey = host.register(nat.selector(), ops, this);
        } catch (IOException e) {
            abort(true);
        }
    }

    private void hostConnected() {
        synPacket = null;
        state = State.SYN_RCVD;
        interest();
        sendSyn();
    }

    private void hostConnectFailed(IOException e) {
        closeHost(false);
        String message = String.valueOf(e.getMessage());
        if (e instanceof NoRouteToHostException || message.contains("No route")) {
            nat.icmp().unreachable(synPacket, Icmp.UNREACH_HOST);
        } else if (message.contains("unreachable")) {
            nat.icmp().unreachable(synPacket, Icmp.UNREACH_NET);
        } else {
            // Refused (or anything else): acknowledge the SYN and reset, as slirp does.
            segment(0, TCP_RST | TCP_ACK, 0, 0, false);
        }
        state = State.CLOSED;
        nat.remove(this);
    }

    private void sendSyn() {
        sndNxt = iss;
        int flags = state == State.SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
        if (retransmits == 0) {
            timing = true;
            rttSeq = iss;
            rttStart = System.nanoTime();
        }
        segment(iss, flags, 0, 0, true);
        sndNxt = iss + 1;
        sndMax = iss + 1;
        armRetransmit();
    }

    private void established() {
        state = State.ESTABLISHED;
        sndUna = iss + 1;
        sndNxt = seqGt(sndNxt, sndUna) ? sndNxt : sndUna;
        retransmits = 0;
        backoff = 0;
        timerAt = 0;
        interest();
    }

    // ---- host socket events ----

    @Override
    public void ready(SelectionKey k) {
        if (!k.isValid()) {
            return;
        }
        if (k.isConnectable()) {
            try {
                host.finishConnect();
            } catch (IOException e) {
                hostConnectFailed(e);
                return;
            }
            hostConnected();
            return;
        }
        if (k.isValid() && k.isWritable()) {
            writeHost();
        }
        if (host != null && k.isValid() && k.isReadable()) {
            readHost();
        }
    }

    private void readHost() {
        int total = 0;
        while (toGuest.free() > 0) {
            int n;
            try {
                n = toGuest.readFrom(host);
            } catch (IOException e) {
                abort(true);
                return;
            }
            if (n < 0) {
                hostEof = true;
                break;
            }
            if (n == 0) {
                break;
            }
            total += n;
        }
        interest();
        if (total > 0 || hostEof) {
            output(false);
        }
        closeHostIfDone();
    }

    private void writeHost() {
        if (host == null) {
            return;
        }
        int before = toHost.size();
        try {
            toHost.writeTo(host);
        } catch (IOException e) {
            abort(true);
            return;
        }
        if (toHost.isEmpty() && guestFin && !hostOutputShut) {
            hostOutputShut = true;
            try {
                host.shutdownOutput();
            } catch (IOException e) {
                // The host side is gone already; its read error or EOF tells the rest.
            }
        }
        if (toHost.size() < before) {
            windowUpdate();
        }
        interest();
        closeHostIfDone();
    }

    /** Sets the selector interest from the buffers: read while there is room, write while data waits. */
    private void interest() {
        if (selectionKey == null || !selectionKey.isValid()) {
            return;
        }
        int ops = 0;
        if (state == State.CONNECTING) {
            ops = SelectionKey.OP_CONNECT;
        } else {
            boolean sending = state == State.ESTABLISHED || state == State.CLOSE_WAIT;
            if (sending && !hostEof && toGuest.free() > 0) {
                ops |= SelectionKey.OP_READ;
            }
            if (!toHost.isEmpty()) {
                ops |= SelectionKey.OP_WRITE;
            }
        }
        if (selectionKey.interestOps() != ops) {
            selectionKey.interestOps(ops);
        }
    }

    private void closeHostIfDone() {
        if (host != null && hostEof && hostOutputShut) {
            closeHost(false);
        }
        if (host == null && state == State.CLOSED) {
            nat.remove(this);
        }
    }

    private void closeHost(boolean reset) {
        if (host == null) {
            return;
        }
        try {
            if (reset && host.isConnected()) {
                host.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Closing anyway.
        }
        try {
            host.close();
        } catch (IOException e) {
            // Nothing more to do with it.
        }
        host = null;
        selectionKey = null;
    }

    /** Drops the connection: reset to the guest if it knows of it, reset to the host. */
    void abort(boolean resetGuest) {
        if (resetGuest && state != State.CLOSED && state != State.TIME_WAIT && state != State.SYN_SENT) {
            if (state == State.CONNECTING) {
                segment(0, TCP_RST | TCP_ACK, 0, 0, false);
            } else {
                segment(sndNxt, TCP_RST | TCP_ACK, 0, 0, false);
            }
        }
        closeHost(true);
        state = State.CLOSED;
        nat.remove(this);
    }

    /** The network is closing. */
    void shutdown() {
        closeHost(true);
        state = State.CLOSED;
    }

    // ---- guest segments ----

    void input(TcpSegment s, IpPacket p) {
        switch (state) {
            case CONNECTING -> {
                if (s.has(TCP_RST) && s.seq() == rcvNxt) {
                    closeHost(true);
                    state = State.CLOSED;
                    nat.remove(this);
                }
                return; // a repeated SYN waits for the host connect like the first
            }
            case SYN_SENT -> {
                synSentInput(s);
                return;
            }
            case CLOSED -> {
                return;
            }
            default -> { }
        }
        if (state == State.SYN_RCVD && s.has(TCP_SYN) && !s.has(TCP_ACK) && s.seq() == irs) {
            segment(iss, TCP_SYN | TCP_ACK, 0, 0, true); // our SYN-ACK was lost
            return;
        }
        int seq = s.seq();
        int dataOff = s.dataOff();
        int dataLen = s.dataLen();
        boolean syn = s.has(TCP_SYN);
        boolean fin = s.has(TCP_FIN);
        int window = receiveWindow();

        // RFC 793 "SEGMENT ARRIVES", first check sequence number.
        int segLen = s.seqLength();
        boolean acceptable;
        if (segLen == 0) {
            acceptable = window == 0 ? seq == rcvNxt : inWindow(seq, window);
        } else if (window == 0) {
            // Only the control and acknowledgement parts of a probe into a closed window count.
            acceptable = seq == rcvNxt;
            dataLen = 0;
            fin = false;
            ackPending = true;
        } else {
            acceptable = inWindow(seq, window) || inWindow(seq + segLen - 1, window);
        }
        if (!acceptable) {
            if (!s.has(TCP_RST)) {
                sendAck();
                if (state == State.TIME_WAIT) {
                    armTimeWait();
                }
            }
            return;
        }
        if (s.has(TCP_RST)) {
            if (seq == rcvNxt) {
                closeHost(true);
                state = State.CLOSED;
                nat.remove(this);
            } else {
                sendAck(); // RFC 5961 3.2 challenge
            }
            return;
        }
        // Trim what was received already, then what lies past the window.
        int early = rcvNxt - seq;
        if (early > 0) {
            if (syn) {
                syn = false;
                early--;
                seq++;
            }
            int cut = Math.min(early, dataLen);
            dataOff += cut;
            dataLen -= cut;
            seq += cut;
            early -= cut;
            if (early > 0) {
                fin = false;
                seq += early;
            }
        }
        if (syn) {
            sendAck(); // RFC 5961 4.2: a SYN inside a synchronized connection
            return;
        }
        int room = rcvNxt + window - seq;
        if (dataLen > room) {
            dataLen = Math.max(room, 0);
            fin = false;
        }
        if (!s.has(TCP_ACK)) {
            return;
        }
        if (state == State.SYN_RCVD) {
            if (seqGt(s.ack(), iss) && seqLe(s.ack(), sndMax)) {
                if (timing) {
                    sampleRtt();
                }
                established();
                sndWnd = s.window();
                maxSndWnd = Math.max(maxSndWnd, sndWnd);
                sndWl1 = seq;
                sndWl2 = s.ack();
            } else {
                reset(s.ack());
                return;
            }
        }
        if (!acknowledge(s, seq)) {
            return;
        }
        if (state == State.CLOSED) {
            return;
        }
        if (dataLen > 0 || fin) {
            receive(seq, s.frame(), dataOff, dataLen, fin);
        }
        output(false);
        if (ackPending) {
            nat.ackLater(this);
        }
    }

    private boolean inWindow(int seq, int window) {
        return seqGe(seq, rcvNxt) && seqLt(seq, rcvNxt + window);
    }

    private void synSentInput(TcpSegment s) {
        if (s.has(TCP_ACK) && s.ack() != iss + 1) {
            if (!s.has(TCP_RST)) {
                reset(s.ack());
            }
            return;
        }
        if (s.has(TCP_RST)) {
            if (s.has(TCP_ACK)) {
                // The guest refused: the host's client sees the connection reset.
                closeHost(true);
                state = State.CLOSED;
                nat.remove(this);
            }
            return;
        }
        if (!s.has(TCP_SYN)) {
            return;
        }
        irs = s.seq();
        rcvNxt = irs + 1;
        rcvAdvEdge = rcvNxt;
        takePeerParameters(s);
        if (s.has(TCP_ACK)) {
            if (timing) {
                sampleRtt();
            }
            established();
            sendAck();
            output(false);
        } else {
            state = State.SYN_RCVD; // simultaneous open
            segment(iss, TCP_SYN | TCP_ACK, 0, 0, true);
            armRetransmit();
        }
    }

    /** RFC 793 ACK processing; false when the segment should go no further. */
    private boolean acknowledge(TcpSegment s, int seq) {
        int ack = s.ack();
        if (seqGt(ack, sndMax)) {
            sendAck();
            return false;
        }
        if (seqGt(ack, sndUna)) {
            int acked = ack - sndUna;
            boolean finAcked = finSent && seqGt(ack, finSeq);
            toGuest.discard(Math.min(acked - (finAcked ? 1 : 0), toGuest.size()));
            sndUna = ack;
            if (seqLt(sndNxt, sndUna)) {
                sndNxt = sndUna;
            }
            if (timing && seqGt(ack, rttSeq)) {
                sampleRtt();
            }
            retransmits = 0;
            backoff = 0;
            dupAcks = 0;
            if (sndUna == sndMax) {
                timerAt = 0;
            } else {
                armRetransmit();
            }
            if (finAcked) {
                switch (state) {
                    case FIN_WAIT_1 -> state = State.FIN_WAIT_2;
                    case CLOSING -> enterTimeWait();
                    case LAST_ACK -> {
                        state = State.CLOSED;
                        closeHostIfDone();
                        return false;
                    }
                    default -> { }
                }
            }
            interest();
        } else if (ack == sndUna && s.dataLen() == 0 && !s.has(TCP_FIN) && s.window() == sndWnd
                && sndMax != sndUna) {
            if (++dupAcks == 3) {
                retransmitFirst(); // RFC 5681 fast retransmit
            }
        }
        // RFC 793: take the window from the newest segment only.
        if (seqLt(sndWl1, seq) || (sndWl1 == seq && seqLe(sndWl2, ack))) {
            sndWnd = s.window();
            sndWl1 = seq;
            sndWl2 = ack;
            maxSndWnd = Math.max(maxSndWnd, sndWnd);
        }
        return true;
    }

    private void receive(int seq, byte[] f, int off, int len, boolean fin) {
        if (guestFin || state == State.TIME_WAIT) {
            ackPending = true; // a repeat of what came before the guest's FIN
            return;
        }
        if (seq != rcvNxt) {
            holdOutOfOrder(seq, f, off, len, fin);
            sendAck(); // duplicate ACK: tells the guest what is missing
            return;
        }
        int taken = toHost.append(f, off, len);
        rcvNxt += taken;
        if (taken < len) {
            fin = false;
        }
        if (fin) {
            rcvNxt++;
            guestFinished();
        }
        drainOutOfOrder();
        ackPending = true;
        if (fin) {
            sendAck();
        }
        writeHost();
    }

    private void holdOutOfOrder(int seq, byte[] f, int off, int len, boolean fin) {
        if (outOfOrder.size() >= tunables.maxOutOfOrderSegments()) {
            return;
        }
        int i = 0;
        while (i < outOfOrder.size() && seqLt(outOfOrder.get(i).seq(), seq)) {
            i++;
        }
        if (i < outOfOrder.size() && outOfOrder.get(i).seq() == seq && outOfOrder.get(i).data().length >= len) {
            return;
        }
        byte[] copy = new byte[len];
        System.arraycopy(f, off, copy, 0, len);
        outOfOrder.add(i, new Segment(seq, copy, fin));
    }

    private void drainOutOfOrder() {
        while (!outOfOrder.isEmpty() && !guestFin) {
            Segment s = outOfOrder.getFirst();
            if (seqGt(s.seq(), rcvNxt)) {
                return;
            }
            outOfOrder.removeFirst();
            int skip = rcvNxt - s.seq();
            if (skip > s.data().length) {
                continue;
            }
            int len = s.data().length - skip;
            int taken = toHost.append(s.data(), skip, len);
            rcvNxt += taken;
            if (s.fin() && taken == len) {
                rcvNxt++;
                guestFinished();
            }
        }
        if (guestFin) {
            outOfOrder.clear();
        }
    }

    private void guestFinished() {
        guestFin = true;
        switch (state) {
            case ESTABLISHED, SYN_RCVD -> state = State.CLOSE_WAIT;
            case FIN_WAIT_1 -> state = State.CLOSING;
            case FIN_WAIT_2 -> enterTimeWait();
            default -> { }
        }
    }

    private void enterTimeWait() {
        state = State.TIME_WAIT;
        armTimeWait();
    }

    private void armTimeWait() {
        arm(System.nanoTime() + tunables.timeWaitNanos());
    }

    // ---- sending ----

    /** The window to advertise, moving the right edge only by useful amounts (RFC 1122 4.2.3.3). */
    private int receiveWindow() {
        int edge = rcvNxt + Math.min(toHost.free(), MAX_WINDOW);
        if (seqLt(rcvAdvEdge, rcvNxt)) {
            rcvAdvEdge = rcvNxt;
        }
        int step = Math.min(tunables.tcpReceiveBuffer() / 2, mss);
        if (seqLt(edge, rcvAdvEdge + step) && seqGe(rcvAdvEdge, rcvNxt)) {
            edge = rcvAdvEdge;
        }
        return Math.max(edge - rcvNxt, 0);
    }

    /** After the host took guest data: tell the guest if its window opened usefully. */
    private void windowUpdate() {
        if (state == State.CLOSED || state == State.TIME_WAIT || guestFin) {
            return;
        }
        int before = rcvAdvEdge;
        if (rcvNxt + receiveWindow() != before) {
            ackPending = true;
            nat.ackLater(this);
        }
    }

    /**
     * Sends what the guest's window and the NIC allow. {@code probe}: send at least one byte
     * into a closed window (a retransmission or window probe).
     */
    void output(boolean probe) {
        switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> { }
            default -> {
                return;
            }
        }
        while (true) {
            if (!nat.link().open()) {
                nat.blocked(this);
                return;
            }
            int offset = sndNxt - sndUna;
            int size = toGuest.size();
            int unsent = Math.max(size - offset, 0);
            int window = probe && sndWnd == 0 ? 1 : sndWnd;
            int usable = sndUna + window - sndNxt;
            int len = Math.max(0, Math.min(Math.min(unsent, mss), usable));
            boolean fin = hostEof && offset <= size && offset + len == size;
            if (len == 0 && !fin) {
                break;
            }
            if (len < unsent && len < mss && sndNxt != sndUna && !probe && len < maxSndWnd / 2) {
                break; // RFC 1122 4.2.3.4: no silly small segments while data is in flight
            }
            int flags = TCP_ACK | (fin ? TCP_FIN : 0) | (len > 0 && len == unsent ? TCP_PSH : 0);
            if (!timing && len > 0 && sndNxt == sndMax && retransmits == 0) {
                timing = true;
                rttSeq = sndNxt;
                rttStart = System.nanoTime();
            }
            segment(sndNxt, flags, offset, len, false);
            sndNxt += len + (fin ? 1 : 0);
            if (seqGt(sndNxt, sndMax)) {
                sndMax = sndNxt;
            }
            if (fin && !finSent) {
                finSent = true;
                finSeq = sndNxt - 1;
                state = state == State.CLOSE_WAIT ? State.LAST_ACK : State.FIN_WAIT_1;
            }
            if (timerAt == 0 || probe) {
                armRetransmit();
            }
            probe = false;
            if (fin) {
                break;
            }
        }
        if (timerAt == 0 && sndWnd == 0 && toGuest.size() > sndNxt - sndUna) {
            armRetransmit(); // the persist timer: probe the closed window
        }
    }

    private void retransmitFirst() {
        int len = Math.min(Math.min(toGuest.size(), mss), Math.max(sndMax - sndUna, 0));
        boolean fin = finSent && sndUna + len == finSeq && seqLt(finSeq, sndMax);
        if (len > 0 || fin) {
            segment(sndUna, TCP_ACK | (fin ? TCP_FIN : 0), 0, len, false);
        }
    }

    private void sendAck() {
        segment(state == State.SYN_RCVD ? iss : sndNxt, state == State.SYN_RCVD ? TCP_SYN | TCP_ACK : TCP_ACK, 0, 0,
                state == State.SYN_RCVD);
    }

    /** Sends the pending acknowledgement, unless a data segment carried it meanwhile. */
    void flushAck() {
        if (ackPending && state != State.CLOSED) {
            sendAck();
        }
    }

    private void reset(int seq) {
        nat.sendReset(key, seq, 0, TCP_RST);
    }

    /** Builds and sends one segment; {@code dataOffset} counts from sndUna in the send buffer. */
    private void segment(int seq, int flags, int dataOffset, int len, boolean mssOption) {
        int optLen = mssOption ? 4 : 0;
        byte[] f = Wire.ipFrame(Wire.TCP_HLEN + optLen + len);
        Wire.ipHeader(f, key.remoteIp(), key.guestIp(), Wire.PROTO_TCP, nat.ids().next(), true);
        int t = Wire.L4_OFF;
        Wire.put16(f, t, key.remotePort());
        Wire.put16(f, t + 2, key.guestPort());
        Wire.put32(f, t + 4, seq);
        int window = 0;
        if ((flags & TCP_ACK) != 0) {
            Wire.put32(f, t + 8, rcvNxt);
            window = receiveWindow();
            rcvAdvEdge = rcvNxt + window;
            ackPending = false;
        } else if ((flags & TCP_SYN) != 0) {
            window = Math.min(toHost.free(), MAX_WINDOW);
        }
        f[t + 12] = (byte) (((Wire.TCP_HLEN + optLen) / 4) << 4);
        f[t + 13] = (byte) flags;
        Wire.put16(f, t + 14, (flags & TCP_RST) != 0 ? 0 : window);
        if (mssOption) {
            f[t + 20] = (byte) Wire.TCP_OPT_MSS;
            f[t + 21] = 4;
            Wire.put16(f, t + 22, tunables.tcpMss());
        }
        if (len > 0) {
            toGuest.copy(dataOffset, f, t + Wire.TCP_HLEN + optLen, len);
        }
        Wire.tcpChecksum(f, key.remoteIp(), key.guestIp());
        // Bare ACKs and resets may be dropped when the NIC is far behind: TCP recovers them,
        // and a guest that sends while refusing to receive must not grow the queue forever.
        boolean reliable = len > 0 || (flags & (TCP_SYN | TCP_FIN)) != 0;
        nat.link().sendIp(key.guestIp(), f, reliable);
    }

    // ---- timers ----

    private void arm(long at) {
        timerAt = at == 0 ? 1 : at;
        nat.timerArmed(timerAt);
    }

    private void armRetransmit() {
        long wait = Math.min(rto << Math.min(backoff, MAX_BACKOFF_SHIFT), tunables.rtoMaxNanos());
        arm(System.nanoTime() + wait);
    }

    /** RFC 6298 section 2. */
    private void sampleRtt() {
        timing = false;
        long r = System.nanoTime() - rttStart;
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = Math.clamp(srtt + Math.max(4 * rttvar, 1_000_000L), tunables.rtoMinNanos(), tunables.rtoMaxNanos());
    }

    void timerExpired() {
        timerAt = 0;
        if (state == State.TIME_WAIT) {
            if (host != null && !toHost.isEmpty()) {
                armTimeWait(); // the host is still taking the guest's last bytes
                return;
            }
            closeHost(false);
            state = State.CLOSED;
            nat.remove(this);
            return;
        }
        if (!nat.link().open()) {
            armRetransmit(); // the NIC holds our frames, none are lost: wait for it
            return;
        }
        timing = false;
        switch (state) {
            case SYN_SENT, SYN_RCVD -> {
                if (++retransmits > tunables.maxSynRetransmits()) {
                    abort(true);
                    return;
                }
                backoff++;
                if (state == State.SYN_SENT) {
                    sendSyn();
                } else {
                    segment(iss, TCP_SYN | TCP_ACK, 0, 0, true);
                    armRetransmit();
                }
            }
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> {
                boolean windowProbe = sndWnd == 0;
                if (sndUna == sndMax && !(windowProbe && toGuest.size() > 0)) {
                    return;
                }
                if (!windowProbe && ++retransmits > tunables.maxRetransmits()) {
                    abort(true);
                    return;
                }
                backoff++;
                sndNxt = sndUna; // go back: resend from the first unacknowledged byte
                armRetransmit();
                output(true);
            }
            default -> { }
        }
    }

    // ---- for tests and diagnostics ----

    @Override
    public String toString() {
        return "tcp " + Ip.toString(key.guestIp()) + ":" + key.guestPort() + " <-> " + Ip.toString(key.remoteIp())
                + ":" + key.remotePort() + " " + state;
    }
}
