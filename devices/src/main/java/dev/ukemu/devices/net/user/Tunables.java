package dev.ukemu.devices.net.user;

import java.util.concurrent.TimeUnit;

/** Every limit and timer of the user-mode network, in one place. */
record Tunables(
        int inboundQueueFrames,
        int maxBacklogForDatagrams,
        int maxNeighbours,
        int maxUnresolvedFrames,
        long arpRetryNanos,
        int dhcpPoolSize,
        int dhcpLeaseSeconds,
        int maxUdpFlows,
        long udpIdleNanos,
        long dnsIdleNanos,
        int maxTcpConnections,
        int tcpSendBuffer,
        int tcpReceiveBuffer,
        int tcpMss,
        int maxOutOfOrderSegments,
        long rtoInitialNanos,
        long rtoMinNanos,
        long rtoMaxNanos,
        int maxRetransmits,
        int maxSynRetransmits,
        long timeWaitNanos) {

    static final Tunables DEFAULT = new Tunables(
            4096, // frames from the NIC not yet handled, before it is asked to wait
            1024, // frames for the guest waiting on the NIC, past which datagrams are dropped
            256, // guest Ethernet addresses remembered
            64, // frames waiting for one ARP answer
            TimeUnit.SECONDS.toNanos(1),
            16, // slirp's NB_BOOTP_CLIENTS
            24 * 3600, // slirp's LEASE_TIME
            1024,
            TimeUnit.SECONDS.toNanos(240), // slirp's SO_EXPIRE
            TimeUnit.SECONDS.toNanos(10), // a DNS query's socket: one answer is all it waits for
            4096,
            128 * 1024, // host data waiting for the guest's acknowledgement
            65535, // guest data waiting for the host socket: the largest unscaled window
            1460, // RFC 879 MSS for a 1500-byte MTU
            64,
            TimeUnit.SECONDS.toNanos(1), // RFC 6298 initial RTO
            TimeUnit.MILLISECONDS.toNanos(200),
            TimeUnit.SECONDS.toNanos(60),
            12,
            6,
            TimeUnit.SECONDS.toNanos(10)); // 2 MSL with slirp's 5-second MSL

    /** Short timers, so tests see retransmissions and TIME_WAIT end quickly. */
    Tunables withFastTimers() {
        return new Tunables(inboundQueueFrames, maxBacklogForDatagrams, maxNeighbours, maxUnresolvedFrames,
                TimeUnit.MILLISECONDS.toNanos(100), dhcpPoolSize, dhcpLeaseSeconds, maxUdpFlows,
                TimeUnit.MILLISECONDS.toNanos(500), TimeUnit.MILLISECONDS.toNanos(500), maxTcpConnections,
                tcpSendBuffer, tcpReceiveBuffer, tcpMss, maxOutOfOrderSegments,
                TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.MILLISECONDS.toNanos(50),
                TimeUnit.MILLISECONDS.toNanos(400), maxRetransmits, maxSynRetransmits,
                TimeUnit.MILLISECONDS.toNanos(200));
    }

    /** The same with fewer host sockets, for tests that open many. */
    Tunables withSocketLimits(int maxTcp, int maxUdp) {
        return new Tunables(inboundQueueFrames, maxBacklogForDatagrams, maxNeighbours, maxUnresolvedFrames,
                arpRetryNanos, dhcpPoolSize, dhcpLeaseSeconds, maxUdp, udpIdleNanos, dnsIdleNanos, maxTcp,
                tcpSendBuffer, tcpReceiveBuffer, tcpMss, maxOutOfOrderSegments, rtoInitialNanos, rtoMinNanos,
                rtoMaxNanos, maxRetransmits, maxSynRetransmits, timeWaitNanos);
    }
}
