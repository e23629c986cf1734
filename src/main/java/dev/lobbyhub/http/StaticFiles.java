package dev.lobbyhub.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The files of a page lobbyhub serves (the demo, the console), read once from one classpath folder and kept. */
public final class StaticFiles {

    private final String folder;
    private final Map<String, byte[]> loaded = new ConcurrentHashMap<>();

    /** {@code folder}: the classpath folder, such as {@code /console/}. */
    public StaticFiles(String folder) {
        this.folder = folder;
    }

    /** The file's bytes; only names the caller allows reach here. */
    public byte[] load(String file) {
        return loaded.computeIfAbsent(file, name -> {
            try (InputStream in = StaticFiles.class.getResourceAsStream(folder + name)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
