package dev.ukemu.loader;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the files a user names on the command line, turning every failure into one clear line. */
public final class InputFiles {
    /** Java arrays stop a little short of 2 GiB. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private InputFiles() {
    }

    /** {@code kernel 'path'}: how messages name a file, with the path exactly as the user gave it. */
    public static String label(String kind, Path path) {
        return kind + " '" + path + "'";
    }

    /** Fails unless {@code path} is an existing regular file we may read; returns its size. */
    public static long requireRegularFile(Path path, String kind) throws LoadException {
        if (!Files.exists(path)) {
            throw new LoadException("cannot read " + label(kind, path) + ": no such file");
        }
        if (Files.isDirectory(path)) {
            throw new LoadException(label(kind, path) + " is a directory");
        }
        if (!Files.isRegularFile(path)) {
            throw new LoadException(label(kind, path) + " is not a regular file");
        }
        if (!Files.isReadable(path)) {
            throw new LoadException("cannot read " + label(kind, path) + ": permission denied");
        }
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw readError(path, kind, e);
        }
    }

    /** The whole file, which must be a non-empty regular file below 2 GiB. */
    public static byte[] readAll(Path path, String kind) throws LoadException {
        long size = requireRegularFile(path, kind);
        if (size == 0) {
            throw new LoadException(label(kind, path) + " is empty");
        }
        if (size > MAX_ARRAY) {
            throw new LoadException(label(kind, path) + " is too large (" + Placement.size(size) + ")");
        }
        try {
            byte[] bytes = Files.readAllBytes(path);
            if (bytes.length == 0) {
                throw new LoadException(label(kind, path) + " is empty");
            }
            return bytes;
        } catch (IOException e) {
            throw readError(path, kind, e);
        } catch (OutOfMemoryError e) {
            throw new LoadException(label(kind, path) + " is too large to read into memory ("
                    + Placement.size(size) + ")");
        }
    }

    public static LoadException readError(Path path, String kind, IOException e) {
        String reason = switch (e) {
            case NoSuchFileException n -> "no such file";
            case AccessDeniedException a -> "permission denied";
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
        return new LoadException("cannot read " + label(kind, path) + ": " + reason, e);
    }
}
