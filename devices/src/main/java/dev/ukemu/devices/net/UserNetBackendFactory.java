package dev.ukemu.devices.net;

import java.io.IOException;

/**
 * Makes the user-mode network backend (QEMU's slirp: {@code -netdev user}) for one set of
 * options. The machine connects each NIC on that network to what it returns.
 */
@FunctionalInterface
public interface UserNetBackendFactory {
    /**
     * @throws IOException if a host socket cannot be opened (a forwarded port already in use)
     */
    NetBackend create(UserNetOptions options) throws IOException;
}
