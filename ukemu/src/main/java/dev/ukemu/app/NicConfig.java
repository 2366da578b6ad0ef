package dev.ukemu.app;

import dev.ukemu.devices.net.UserNetOptions;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One network card: a virtio-net-pci function at PCI slot {@code slot} with MAC address
 * {@code mac}, connected to the user-mode network {@code network} (null: a card with no cable,
 * whose frames go nowhere, as QEMU's NIC without a netdev).
 */
public record NicConfig(int slot, byte[] mac, UserNetOptions network) {
    /** QEMU puts the first NIC after the VGA card: 00:03.0. */
    public static final int FIRST_SLOT = 3;

    public NicConfig {
        if (slot < 2 || slot > 31) {
            throw new IllegalArgumentException("PCI slot " + slot + " is not free (2-31)");
        }
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        mac = mac.clone();
    }

    @Override
    public byte[] mac() {
        return mac.clone();
    }

    public String macText() {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }

    /** QEMU's default MAC for the {@code n}th NIC (from 0): 52:54:00:12:34:56, then :57, ... */
    public static byte[] defaultMac(int n) {
        return new byte[] {0x52, 0x54, 0x00, 0x12, 0x34, (byte) (0x56 + n)};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NicConfig n && n.slot == slot && java.util.Arrays.equals(n.mac, mac) && Objects.equals(n.network, network);
    }

    @Override
    public int hashCode() {
        return Objects.hash(slot, java.util.Arrays.hashCode(mac), network);
    }

    @Override
    public String toString() {
        return String.format("virtio-net-pci 00:%02x.0 mac=%s netdev=%s", slot, macText(),
                network == null ? "none" : network.id());
    }
}
