/**
 * The user-mode network, QEMU's {@code -netdev user} (slirp) in Java: no root, no TAP device.
 *
 * <p>The guest sees 10.0.2.0/24 with the gateway and DHCP server at 10.0.2.2 and DNS at
 * 10.0.2.3, and gets 10.0.2.15 by DHCP. Its TCP connections end in {@link
 * dev.ukemu.devices.net.user.TcpConnection} and continue over host sockets; its datagrams leave
 * through one host datagram socket per guest port. Connections to 10.0.2.2 (and to any other
 * address of the guest network but DNS) reach the host's 127.0.0.1; DNS queries reach the
 * host's resolver. Host forwards ({@code hostfwd=tcp::8080-:8080}) bring host connections and
 * datagrams in.
 *
 * <p>A NIC uses it as any {@link dev.ukemu.devices.net.NetBackend}:
 * <pre>{@code
 * UserNetConfig config = UserNetConfig.builder()
 *         .hostForward(UserNetConfig.parseHostForward("tcp::8080-:8080"))
 *         .build();
 * UserNetwork net = new UserNetwork(config);   // throws UserNetException if a port is taken
 * FrameSink fromGuest = net.connect(toGuest);  // toGuest: the NIC's receive side
 * ...
 * net.close();
 * }</pre>
 *
 * <p>Not provided: IPv6, ICMP echo to addresses other than the gateway and DNS (Java has no
 * ICMP sockets), TFTP/BOOTP file service, SMB, guestfwd, TCP window scaling, SACK, timestamps
 * and congestion control (the link to the guest does not lose frames; retransmission covers
 * what the guest drops).
 */
package dev.ukemu.devices.net.user;
