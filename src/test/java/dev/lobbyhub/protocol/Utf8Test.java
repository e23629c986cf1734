package dev.lobbyhub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class Utf8Test {

    @Test
    void countsWhatTheEncoderWrites() {
        for (String text : List.of("", "plain ascii {\"type\":\"x\"}", "café", "€ sign", "日本語のロビー",
                "emoji 😀 and 🎮", "\u007f\u0080\u07ff\u0800\uffff", "mixed é€😀a")) {
            assertEquals(text.getBytes(StandardCharsets.UTF_8).length, Utf8.length(text), text);
        }
    }

    @Test
    void aLoneSurrogateIsCountedAsAnUpperBound() {
        String lone = "a\ud83d";
        // The encoder writes one replacement byte for it; the count may be higher, never lower.
        assertEquals(3, Utf8.length(lone));
        assertEquals(2, lone.getBytes(StandardCharsets.UTF_8).length);
    }
}
