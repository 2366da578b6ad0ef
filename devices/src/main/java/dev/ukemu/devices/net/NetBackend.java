package dev.ukemu.devices.net;

/**
 * The host side of a virtual NIC (QEMU's {@code -netdev}): for example the user-mode network.
 * The NIC connects by giving the backend its receive side and getting the backend's.
 */
public interface NetBackend extends AutoCloseable {
    /**
     * Connects a NIC: frames for the guest go to {@code toGuest}; the returned sink takes the
     * frames the guest sends.
     */
    FrameSink connect(FrameSink toGuest);

    /** Stops the backend's threads and closes its host sockets. */
    @Override
    void close();
}
