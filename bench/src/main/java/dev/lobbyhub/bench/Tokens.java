package dev.lobbyhub.bench;

import java.nio.charset.StandardCharsets;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;

/** HS256 tokens as lobbyhub verifies them: {@code sub} and {@code exp}, key = the secret's UTF-8 bytes. */
final class Tokens {

    private final HmacKey key;

    Tokens(String secret) {
        this.key = new HmacKey(secret.getBytes(StandardCharsets.UTF_8));
    }

    String forUser(String userId) {
        JwtClaims claims = new JwtClaims();
        claims.setSubject(userId);
        claims.setExpirationTimeMinutesInTheFuture(120);
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKey(key);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("cannot sign a token", e);
        }
    }
}
