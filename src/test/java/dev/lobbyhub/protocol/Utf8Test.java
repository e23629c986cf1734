package dev.lobbyhub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void textIsWellFormedWhenEverySurrogateIsPaired() {
        for (String good : List.of("", "alice", "?", "\ufffd", "😀", "a😀b", "日本")) {
            assertTrue(Utf8.isWellFormed(good), good);
        }
        for (String bad : List.of("\ud800", "\udc00", "a\ud83d", "\ude00a", "\ude00\ud83d", "\ud83d\ud83d\ude00x\ud800")) {
            assertFalse(Utf8.isWellFormed(bad), bad);
        }
    }

    @Test
    void bytesAreValidOnlyWhenTheyAreUtf8() {
        assertTrue(Utf8.isValid("é😀?".getBytes(StandardCharsets.UTF_8)));
        assertFalse(Utf8.isValid(new byte[] { (byte) 0xED, (byte) 0xA0, (byte) 0x80 }), "a surrogate, CESU-8 style");
        assertFalse(Utf8.isValid(new byte[] { (byte) 0xC0, (byte) 0xBF }), "overlong");
        assertFalse(Utf8.isValid(new byte[] { (byte) 0xC3 }), "truncated");
        assertFalse(Utf8.isValid(new byte[] { (byte) 0xFF }), "never in UTF-8");
    }
}
