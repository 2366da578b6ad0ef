package dev.ukemu.app;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put the guest images of the test-images module. */
final class TestImages {
    private TestImages() {
    }

    static Path image(String name) {
        Path dir = Path.of(System.getProperty("ukemu.images", "../test-images/target/images"));
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("test image " + p.toAbsolutePath() + " is missing: build the test-images module first");
        }
        return p;
    }
}
