package dev.lobbyhub.registry;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lobbyhub.protocol.CloseCode;

/**
 * A {@link Transport} that remembers what it was given: every frame (the very String instances, in
 * order) and every close call. Thread-safe. Optional hooks run after each frame or close is recorded, on
 * the calling thread, to stage interleavings without sleeping.
 */
final class RecordingTransport implements Transport {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<String> frames = new ArrayList<>();
    private final List<CloseCode> closes = new CopyOnWriteArrayList<>();
    private volatile Consumer<String> onSend = text -> {
    };
    private volatile Consumer<CloseCode> onClose = code -> {
    };

    @Override
    public void send(String text) {
        synchronized (frames) {
            frames.add(text);
        }
        onSend.accept(text);
    }

    @Override
    public void close(CloseCode code) {
        closes.add(code);
        onClose.accept(code);
    }

    /** Runs {@code hook} after each frame is recorded, on the thread that sent it. */
    RecordingTransport onSend(Consumer<String> hook) {
        this.onSend = hook;
        return this;
    }

    /** Runs {@code hook} after each close call is recorded, on the thread that closed it. */
    RecordingTransport onClose(Consumer<CloseCode> hook) {
        this.onClose = hook;
        return this;
    }

    /** A snapshot of the frames sent so far, as the same String instances. */
    List<String> frames() {
        synchronized (frames) {
            return List.copyOf(frames);
        }
    }

    /** The frames sent so far, parsed. */
    List<JsonNode> messages() {
        List<JsonNode> parsed = new ArrayList<>();
        for (String frame : frames()) {
            parsed.add(parse(frame));
        }
        return parsed;
    }

    /** The {@code type} of every frame, in order. */
    List<String> types() {
        List<String> types = new ArrayList<>();
        for (JsonNode message : messages()) {
            types.add(message.path("type").asText());
        }
        return types;
    }

    /** The parsed frames of this {@code type}, in order. */
    List<JsonNode> messages(String type) {
        List<JsonNode> matching = new ArrayList<>();
        for (JsonNode message : messages()) {
            if (type.equals(message.path("type").asText())) {
                matching.add(message);
            }
        }
        return matching;
    }

    int closeCalls() {
        return closes.size();
    }

    /** The code of the first close call, or null when never closed. */
    CloseCode closeCode() {
        return closes.isEmpty() ? null : closes.get(0);
    }

    static JsonNode parse(String frame) {
        try {
            return MAPPER.readTree(frame);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
