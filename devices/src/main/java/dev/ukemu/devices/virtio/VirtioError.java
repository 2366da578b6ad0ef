package dev.ukemu.devices.virtio;

/**
 * The driver broke the virtio protocol (a descriptor outside guest RAM, a looping chain, an
 * index past the ring): the device stops and sets DEVICE_NEEDS_RESET instead of failing the host.
 */
public final class VirtioError extends RuntimeException {
    public VirtioError(String message) {
        super(message, null, false, false);
    }
}
