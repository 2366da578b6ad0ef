package dev.ukemu.devices.net.user;

import java.net.InetSocketAddress;

/**
 * The last say on where guest traffic leaves the host: given the host address a guest
 * connection or datagram would go to, returns where it goes, or null if it may not leave
 * (the guest then sees the destination unreachable). Tests use it to keep guest traffic on
 * loopback sockets they own.
 */
@FunctionalInterface
interface Outbound {
    Outbound DIRECT = (protocol, destination) -> destination;

    InetSocketAddress route(UserNetConfig.Protocol protocol, InetSocketAddress destination);
}
