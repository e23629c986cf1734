package dev.lobbyhub.directory;

import java.security.SecureRandom;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * Codes for lobbies the server makes (SPEC §13): 12 characters of {@code a-z 0-9}, about 62 bits, from a
 * secure source, so the code of a private lobby a game backend made cannot be guessed. A bean, so its
 * random source is seeded when the service starts, never when a native image is built.
 */
@ApplicationScoped
public class NewLobbyCodes {

    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final int LENGTH = 12;

    private final SecureRandom random = new SecureRandom();

    public String next() {
        char[] code = new char[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            code[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return new String(code);
    }
}
