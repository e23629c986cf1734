package dev.lobbyhub.registry;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * The single node's directory indexes (SPEC §13), kept by {@link LocalSeatStore} under its lock: the
 * public lobbies in code order, and the open ones (public, unlocked, a free seat) fullest first; each
 * also per property token, so that quick join and a filtered listing read the lobbies of one property
 * instead of every lobby. The same indexes as the Redis store's ({@code lib.lua}).
 */
final class LocalDirectoryIndex {

    /** A lobby in an open index: fewer free seats first, then code order. */
    record Open(int free, String code) {
    }

    private static final Comparator<Open> FULLEST_FIRST = Comparator.comparingInt(Open::free).thenComparing(Open::code);

    /** What a lobby is indexed under now: its tokens (key and token as one string) and free seats (0: not open). */
    private record Indexed(Set<String> tokens, int free) {
    }

    private final TreeSet<String> publicCodes = new TreeSet<>();
    private final TreeSet<Open> open = new TreeSet<>(FULLEST_FIRST);
    private final Map<String, TreeSet<String>> publicByToken = new HashMap<>();
    private final Map<String, TreeSet<Open>> openByToken = new HashMap<>();
    private final Map<String, Indexed> indexed = new HashMap<>();

    private static String tokenKey(String key, String token) {
        return key + '\u0000' + token;
    }

    /** Indexes the lobby as it is now: {@code free} its free seats; not public: out of every index. */
    void update(String code, LocalRoom room, int free) {
        remove(code);
        if (!room.isPublic()) {
            return;
        }
        Set<String> tokens = new HashSet<>();
        room.tokens().forEach((key, token) -> tokens.add(tokenKey(key, token)));
        int openFree = !room.locked() && free > 0 ? free : 0;
        indexed.put(code, new Indexed(tokens, openFree));
        publicCodes.add(code);
        for (String token : tokens) {
            publicByToken.computeIfAbsent(token, t -> new TreeSet<>()).add(code);
        }
        if (openFree > 0) {
            Open entry = new Open(openFree, code);
            open.add(entry);
            for (String token : tokens) {
                openByToken.computeIfAbsent(token, t -> new TreeSet<>(FULLEST_FIRST)).add(entry);
            }
        }
    }

    /** Takes the lobby out of every index. */
    void remove(String code) {
        Indexed was = indexed.remove(code);
        if (was == null) {
            return;
        }
        publicCodes.remove(code);
        Open entry = was.free() > 0 ? new Open(was.free(), code) : null;
        if (entry != null) {
            open.remove(entry);
        }
        for (String token : was.tokens()) {
            removeFrom(publicByToken, token, code);
            if (entry != null) {
                removeFrom(openByToken, token, entry);
            }
        }
    }

    private static <T> void removeFrom(Map<String, TreeSet<T>> index, String token, T value) {
        TreeSet<T> set = index.get(token);
        if (set != null && set.remove(value) && set.isEmpty()) {
            index.remove(token);
        }
    }

    /** The public lobbies, in code order, of the query's narrowest single-token key (all of them when it has none). */
    NavigableSet<String> publicLobbies(Map<String, Set<String>> match) {
        return narrowest(publicByToken, publicCodes, match);
    }

    /** The open lobbies, fullest first, of the query's narrowest single-token key (all of them when it has none). */
    NavigableSet<Open> openLobbies(Map<String, Set<String>> match) {
        return narrowest(openByToken, open, match);
    }

    private static <T> NavigableSet<T> narrowest(Map<String, TreeSet<T>> byToken, TreeSet<T> all,
            Map<String, Set<String>> match) {
        NavigableSet<T> best = all;
        for (Map.Entry<String, Set<String>> wanted : match.entrySet()) {
            if (wanted.getValue().size() != 1) {
                continue;
            }
            TreeSet<T> set = byToken.get(tokenKey(wanted.getKey(), wanted.getValue().iterator().next()));
            if (set == null) {
                return new TreeSet<>(); // nothing holds this token
            }
            if (set.size() < best.size()) {
                best = set;
            }
        }
        return best;
    }
}
