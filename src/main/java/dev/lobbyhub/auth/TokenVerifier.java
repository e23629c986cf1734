package dev.lobbyhub.auth;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.jwt.consumer.JwtContext;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.config.VerificationKeys;
import dev.lobbyhub.protocol.Utf8;
import io.quarkus.runtime.Startup;

/**
 * Verifies connection tokens: signature with the one configured key and algorithm (so neither
 * {@code alg: none} nor an algorithm swap is accepted), {@code exp} required and enforced,
 * {@code iss} when configured, then reads {@code sub}, {@code name} and {@code lobbies}, refusing a payload that is
 * not UTF-8 and a {@code sub} or {@code name} with a lone surrogate (no UTF-8 form: two ids would be one in Redis). Built at
 * startup, where reading a PEM file may block, never lazily inside the first handshake on an event loop.
 */
@ApplicationScoped
@Startup
public class TokenVerifier {

    /** Tolerated clock difference between the token issuer and this node. */
    static final int CLOCK_SKEW_SECONDS = 5;
    static final int MAX_USER_ID_LENGTH = 128;
    static final int MAX_NAME_LENGTH = 64;

    private final JwtConsumer consumer;

    @jakarta.inject.Inject
    TokenVerifier(LobbyhubConfig config) {
        this(config.auth().jwt());
    }

    public TokenVerifier(LobbyhubConfig.Jwt jwt) {
        VerificationKeys.KeyAndAlgorithm key = VerificationKeys.of(jwt).orElse(null);
        if (key == null) {
            // ConfigCheck stops startup with the sentence; nothing verifies meanwhile.
            this.consumer = null;
            return;
        }
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setVerificationKey(key.key())
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, key.algorithm())
                .setRequireExpirationTime()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds(CLOCK_SKEW_SECONDS)
                .setSkipDefaultAudienceValidation();
        jwt.issuer().ifPresent(issuer -> builder.setExpectedIssuer(true, issuer));
        this.consumer = builder.build();
    }

    public Identity verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty()) {
            throw new InvalidTokenException("missing");
        }
        if (consumer == null) {
            throw new InvalidTokenException("no verification key configured");
        }
        JwtContext context;
        try {
            context = consumer.process(token);
        } catch (InvalidJwtException e) {
            throw new InvalidTokenException(describe(e));
        }
        // RFC 7519: the claims are UTF-8. Decoded leniently, bytes that are not become U+FFFD, and the sub another user's.
        if (!(context.getJoseObjects().get(0) instanceof JsonWebSignature jws) || !Utf8.isValid(jws.getUnverifiedPayloadBytes())) {
            throw new InvalidTokenException("claims are not UTF-8");
        }
        JwtClaims claims = context.getJwtClaims();
        try {
            String userId = claims.getSubject();
            if (userId.isEmpty() || userId.length() > MAX_USER_ID_LENGTH) {
                throw new InvalidTokenException("sub must be 1 to " + MAX_USER_ID_LENGTH + " characters");
            }
            if (!Utf8.isWellFormed(userId)) {
                // An escaped lone surrogate ("\\ud800") is valid JSON, but no UTF-8 key can hold it: in Redis it would be "?".
                throw new InvalidTokenException("sub is not well-formed Unicode (a lone surrogate)");
            }
            return new Identity(userId, name(claims), lobbies(claims));
        } catch (MalformedClaimException e) {
            throw new InvalidTokenException("malformed claim");
        }
    }

    private static String name(JwtClaims claims) throws InvalidTokenException {
        Object name = claims.getClaimValue("name");
        if (name == null) {
            return null;
        }
        if (!(name instanceof String text) || text.length() > MAX_NAME_LENGTH) {
            throw new InvalidTokenException("name must be a string of at most " + MAX_NAME_LENGTH + " characters");
        }
        if (!Utf8.isWellFormed(text)) {
            // Refused like a bad sub rather than repaired: the issuer signed something other than what it meant.
            throw new InvalidTokenException("name is not well-formed Unicode (a lone surrogate)");
        }
        return text;
    }

    private static Optional<Set<String>> lobbies(JwtClaims claims) throws InvalidTokenException {
        Object lobbies = claims.getClaimValue("lobbies");
        if (lobbies == null) {
            return Optional.empty();
        }
        if (!(lobbies instanceof List<?> list)) {
            throw new InvalidTokenException("lobbies must be an array of lobby codes");
        }
        Set<String> allowed = new HashSet<>();
        for (Object code : list) {
            if (!(code instanceof String text)) {
                throw new InvalidTokenException("lobbies must be an array of lobby codes");
            }
            allowed.add(text);
        }
        return Optional.of(Set.copyOf(allowed));
    }

    /** A short reason for the log; never the token or its claims. */
    private static String describe(InvalidJwtException e) {
        if (e.hasExpired()) {
            return "expired";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.SIGNATURE_INVALID)) {
            return "bad signature";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.ISSUER_INVALID)
                || e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.ISSUER_MISSING)) {
            return "wrong issuer";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.EXPIRATION_MISSING)) {
            return "no exp claim";
        }
        if (e.hasErrorCode(org.jose4j.jwt.consumer.ErrorCodes.SUBJECT_MISSING)) {
            return "no sub claim";
        }
        return "malformed or not acceptable";
    }
}
