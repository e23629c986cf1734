package dev.lobbyhub.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The tokens both seat stores match lobby properties on (SPEC §13). */
class PropertyMatchTest {

    @Test
    void topLevelScalarsBecomeTokensAndEverythingElseIsLeftOut() {
        String properties = "{\"mode\":\"duel\",\"level\":3.50,\"ranked\":true,\"zero\":-0.0,\"map\":{\"x\":1},"
                + "\"tags\":[1],\"none\":null,\"long\":\"" + "x".repeat(65) + "\",\"" + "k".repeat(65) + "\":1,"
                + "\"huge\":1e300}";
        assertEquals(Map.of("mode", "s:duel", "level", "n:3.5", "ranked", "b:true", "zero", "n:0"),
                PropertyMatch.tokens(properties));
        assertEquals(Map.of(), PropertyMatch.tokens("{}"));
        assertEquals(Map.of(), PropertyMatch.tokens("not json"));
    }

    @Test
    void aFilterValueAcceptsTheStringAndTheNumberOrBooleanItSpells() {
        assertEquals(Set.of("s:duel"), PropertyMatch.accepted("duel"));
        assertEquals(Set.of("s:3", "n:3"), PropertyMatch.accepted("3"));
        assertEquals(Set.of("s:3.0", "n:3"), PropertyMatch.accepted("3.0"));
        assertEquals(Set.of("s:-1e2", "n:-100"), PropertyMatch.accepted("-1e2"));
        assertEquals(Set.of("s:true", "b:true"), PropertyMatch.accepted("true"));
        assertEquals(Set.of("s:"), PropertyMatch.accepted(""));
        assertEquals(Set.of("s:3x"), PropertyMatch.accepted("3x"));
    }

    @Test
    void aLobbyMatchesWhenEveryKeyHoldsAnAcceptedToken() {
        Map<String, String> lobby = PropertyMatch.tokens("{\"mode\":\"duel\",\"level\":3}");
        assertTrue(PropertyMatch.matches(lobby, Map.of()));
        assertTrue(PropertyMatch.matches(lobby, Map.of("mode", PropertyMatch.accepted("duel"),
                "level", PropertyMatch.accepted("3.00"))));
        assertFalse(PropertyMatch.matches(lobby, Map.of("mode", PropertyMatch.accepted("ffa"))));
        assertFalse(PropertyMatch.matches(lobby, Map.of("map", PropertyMatch.accepted("dust"))));
        assertFalse(PropertyMatch.matches(PropertyMatch.tokens("{\"level\":\"3\"}"), Map.of("level", Set.of("n:3"))),
                "a quick join's number does not match a string");
    }
}
