package dev.lobbyhub.testing;

import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;

/** Mints tokens the way a game backend would, plus broken ones. */
public final class Tokens {

    /** The secret of the test profile (application.properties). */
    public static final String TEST_SECRET = "lobbyhub-test-secret-0123456789abcdef";

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private Tokens() {
    }

    /** A unique name for a lobby or user, so tests sharing one server do not meet. */
    public static String unique(String prefix) {
        return prefix + "-" + SEQUENCE.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 1_000_000L, 36);
    }

    public static String valid(String userId) {
        return hs256(TEST_SECRET, claims -> claims.setSubject(userId));
    }

    public static String forLobbies(String userId, List<String> lobbies) {
        return hs256(TEST_SECRET, claims -> {
            claims.setSubject(userId);
            claims.setStringListClaim("lobbies", lobbies);
        });
    }

    /** A token with a valid {@code exp} an hour ahead, then whatever {@code edit} does. */
    public static String hs256(String secret, Consumer<JwtClaims> edit) {
        return sign(new HmacKey(secret.getBytes(StandardCharsets.UTF_8)), AlgorithmIdentifiers.HMAC_SHA256, edit);
    }

    public static String sign(Key key, String algorithm, Consumer<JwtClaims> edit) {
        JwtClaims claims = new JwtClaims();
        claims.setExpirationTimeMinutesInTheFuture(60);
        claims.setIssuedAtToNow();
        edit.accept(claims);
        return signPayload(key, algorithm, claims.toJson());
    }

    /**
     * An HS256 token whose claims are this JSON text as written, plus a valid {@code exp}: for claims a
     * {@link JwtClaims} cannot write, such as the escape <code>"\\ud800"</code> (a lone surrogate), which
     * no UTF-8 payload can carry as a character.
     */
    public static String hs256Json(String secret, String claimsJson) {
        String withExp = "{\"exp\":" + (System.currentTimeMillis() / 1000 + 3600) + ","
                + claimsJson.strip().substring(1);
        return signPayload(new HmacKey(secret.getBytes(StandardCharsets.UTF_8)), AlgorithmIdentifiers.HMAC_SHA256, withExp);
    }

    /** An HS256 token over exactly these payload bytes, valid UTF-8 or not. */
    public static String hs256Bytes(String secret, byte[] payload) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayloadBytes(payload);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKey(new HmacKey(secret.getBytes(StandardCharsets.UTF_8)));
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String signPayload(Key key, String algorithm, String payload) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(payload);
        jws.setAlgorithmHeaderValue(algorithm);
        jws.setKey(key);
        if (AlgorithmIdentifiers.NONE.equals(algorithm)) {
            jws.setAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.NO_CONSTRAINTS);
        }
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }
}
