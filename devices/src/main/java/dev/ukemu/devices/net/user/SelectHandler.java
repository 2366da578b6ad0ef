package dev.ukemu.devices.net.user;

import java.nio.channels.SelectionKey;

/** What a host socket's selection key is attached to: called on the event loop when ready. */
interface SelectHandler {
    void ready(SelectionKey key);
}
