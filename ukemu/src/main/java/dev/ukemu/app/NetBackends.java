package dev.ukemu.app;

import dev.ukemu.devices.net.NetBackend;
import dev.ukemu.devices.net.UserNetBackendFactory;
import dev.ukemu.devices.net.UserNetOptions;
import dev.ukemu.devices.net.user.UserNetConfig;
import dev.ukemu.devices.net.user.UserNetException;
import dev.ukemu.devices.net.user.UserNetwork;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;

/** The network backends this build of ukemu has. */
final class NetBackends {
    private NetBackends() {
    }

    /** The user-mode network ({@code -netdev user}): QEMU's slirp, in Java. */
    static Optional<UserNetBackendFactory> user() {
        return Optional.of(NetBackends::createUser);
    }

    /** Forwards without a host address listen on loopback only, unless the user names one. */
    static final Inet4Address DEFAULT_FORWARD_ADDRESS = (Inet4Address) InetAddress.getLoopbackAddress();

    static NetBackend createUser(UserNetOptions o) throws IOException {
        UserNetConfig.Builder b = UserNetConfig.builder()
                .network(o.network(), o.prefixLength())
                .host(o.host())
                .dns(o.dns())
                .dhcpStart(o.dhcpStart())
                .restrict(o.restrict());
        for (UserNetOptions.HostForward f : o.hostForwards()) {
            b.hostForward(new UserNetConfig.HostForward(
                    f.protocol() == UserNetOptions.Protocol.UDP ? UserNetConfig.Protocol.UDP : UserNetConfig.Protocol.TCP,
                    f.hostAddress() != null ? f.hostAddress() : DEFAULT_FORWARD_ADDRESS, f.hostPort(),
                    o.guestAddress(f), f.guestPort()));
        }
        try {
            return new UserNetwork(b.build());
        } catch (UserNetException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
