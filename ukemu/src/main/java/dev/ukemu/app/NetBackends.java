package dev.ukemu.app;

import dev.ukemu.devices.net.UserNetBackendFactory;
import java.util.Optional;

/** The network backends this build of ukemu has. */
final class NetBackends {
    private NetBackends() {
    }

    /**
     * The user-mode network ({@code -netdev user}), once its backend is part of the build. To
     * plug it in, return {@code Optional.of(TheBackend::create)} here.
     */
    static Optional<UserNetBackendFactory> user() {
        return Optional.empty();
    }
}
