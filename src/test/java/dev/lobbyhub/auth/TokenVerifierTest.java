package dev.lobbyhub.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.runtime.configuration.ConfigurationException;

class TokenVerifierTest {

    private static final String SECRET = "unit-test-secret-0123456789abcdefghij";
    private static final String OTHER_SECRET = "another-secret-0123456789abcdefghijkl";

    private static KeyPair rsa;
    private static KeyPair ec;

    record Jwt(Optional<String> secret, Optional<String> publicKey, Optional<String> issuer)
            implements LobbyhubConfig.Jwt {

        static Jwt secret(String secret) {
            return new Jwt(Optional.of(secret), Optional.empty(), Optional.empty());
        }

        static Jwt publicKey(String pemOrPath) {
            return new Jwt(Optional.empty(), Optional.of(pemOrPath), Optional.empty());
        }
    }

    @BeforeAll
    static void generateKeys() throws Exception {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        rsa = rsaGenerator.generateKeyPair();
        KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
        ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGenerator.generateKeyPair();
    }

    private static String pem(KeyPair pair) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static TokenVerifier hs256Verifier() {
        return new TokenVerifier(Jwt.secret(SECRET));
    }

    @Test
    void validHs256TokenGivesIdentityWithSubNameAndLobbies() throws Exception {
        String token = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setClaim("name", "Alice A.");
            claims.setStringListClaim("lobbies", List.of("room-1", "room_2"));
        });

        Identity identity = hs256Verifier().verify(token);

        assertEquals("alice", identity.userId());
        assertEquals("Alice A.", identity.name());
        assertEquals(Optional.of(Set.of("room-1", "room_2")), identity.lobbies());
    }

    @Test
    void tokenWithoutNameOrLobbiesGivesNullNameAndNoLobbyRestriction() throws Exception {
        Identity identity = hs256Verifier().verify(Tokens.hs256(SECRET, claims -> claims.setSubject("bob")));

        assertEquals("bob", identity.userId());
        assertNull(identity.name());
        assertEquals(Optional.empty(), identity.lobbies());
    }

    @Test
    void expiredTokenIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setIssuedAt(NumericDate.fromSeconds(NumericDate.now().getValue() - 3600));
            claims.setExpirationTime(NumericDate.fromSeconds(NumericDate.now().getValue() - 60));
        });

        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
        assertEquals("expired", e.getMessage());
    }

    @Test
    void tokenWithoutExpIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.unsetClaim("exp");
        });

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void tokenWithoutSubIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> claims.setClaim("name", "nobody"));

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void tokenSignedWithAnotherSecretIsRejected() {
        String token = Tokens.hs256(OTHER_SECRET, claims -> claims.setSubject("alice"));

        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
        assertEquals("bad signature", e.getMessage());
    }

    @Test
    void unsignedAlgNoneTokenIsRejected() {
        String token = Tokens.sign(null, AlgorithmIdentifiers.NONE, claims -> claims.setSubject("alice"));
        assertTrue(token.endsWith("."), "an alg none token has an empty signature part");

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void algNoneTokenIsRejectedByPublicKeyVerifierToo() {
        String token = Tokens.sign(null, AlgorithmIdentifiers.NONE, claims -> claims.setSubject("alice"));

        assertThrows(InvalidTokenException.class, () -> new TokenVerifier(Jwt.publicKey(pem(rsa))).verify(token));
    }

    @Test
    void hs256TokenKeyedWithTheRsaPublicKeyIsRejected() {
        String publicPem = pem(rsa);
        TokenVerifier verifier = new TokenVerifier(Jwt.publicKey(publicPem));
        List<byte[]> confusedKeys = List.of(
                publicPem.getBytes(StandardCharsets.US_ASCII),
                rsa.getPublic().getEncoded());

        for (byte[] hmacKey : confusedKeys) {
            String token = Tokens.sign(new HmacKey(hmacKey), AlgorithmIdentifiers.HMAC_SHA256,
                    claims -> claims.setSubject("mallory"));
            assertThrows(InvalidTokenException.class, () -> verifier.verify(token));
        }
    }

    @Test
    void rs256TokenIsRejectedByHs256Verifier() {
        String token = Tokens.sign(rsa.getPrivate(), AlgorithmIdentifiers.RSA_USING_SHA256,
                claims -> claims.setSubject("alice"));

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void validRs256TokenIsAcceptedWithPemPublicKey() throws Exception {
        String token = Tokens.sign(rsa.getPrivate(), AlgorithmIdentifiers.RSA_USING_SHA256,
                claims -> claims.setSubject("carol"));

        Identity identity = new TokenVerifier(Jwt.publicKey(pem(rsa))).verify(token);

        assertEquals("carol", identity.userId());
    }

    @Test
    void validRs256TokenIsAcceptedWithSingleLinePemPublicKey() throws Exception {
        String singleLine = "-----BEGIN PUBLIC KEY-----" + Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded())
                + "-----END PUBLIC KEY-----";
        String token = Tokens.sign(rsa.getPrivate(), AlgorithmIdentifiers.RSA_USING_SHA256,
                claims -> claims.setSubject("carol"));

        assertEquals("carol", new TokenVerifier(Jwt.publicKey(singleLine)).verify(token).userId());
    }

    @Test
    void validRs256TokenIsAcceptedWithPublicKeyFilePath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("public.pem");
        Files.writeString(file, pem(rsa), StandardCharsets.US_ASCII);
        String token = Tokens.sign(rsa.getPrivate(), AlgorithmIdentifiers.RSA_USING_SHA256,
                claims -> claims.setSubject("dave"));

        Identity identity = new TokenVerifier(Jwt.publicKey(file.toString())).verify(token);

        assertEquals("dave", identity.userId());
    }

    @Test
    void rs256TokenSignedWithAnotherRsaKeyIsRejected() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair other = generator.generateKeyPair();
        String token = Tokens.sign(other.getPrivate(), AlgorithmIdentifiers.RSA_USING_SHA256,
                claims -> claims.setSubject("carol"));

        assertThrows(InvalidTokenException.class, () -> new TokenVerifier(Jwt.publicKey(pem(rsa))).verify(token));
    }

    @Test
    void unreadablePublicKeyPathFailsConstructionNamingTheKey(@TempDir Path dir) {
        String missing = dir.resolve("missing.pem").toString();

        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> new TokenVerifier(Jwt.publicKey(missing)));
        assertTrue(e.getMessage().contains("lobbyhub.auth.jwt.public-key"), e.getMessage());
    }

    @Test
    void validEs256TokenIsAcceptedWithP256PublicKey() throws Exception {
        String token = Tokens.sign(ec.getPrivate(), AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
                claims -> claims.setSubject("erin"));

        Identity identity = new TokenVerifier(Jwt.publicKey(pem(ec))).verify(token);

        assertEquals("erin", identity.userId());
    }

    @Test
    void hs256TokenKeyedWithTheEcPublicKeyIsRejected() {
        String publicPem = pem(ec);
        String token = Tokens.sign(new HmacKey(publicPem.getBytes(StandardCharsets.US_ASCII)),
                AlgorithmIdentifiers.HMAC_SHA256, claims -> claims.setSubject("mallory"));

        assertThrows(InvalidTokenException.class, () -> new TokenVerifier(Jwt.publicKey(publicPem)).verify(token));
    }

    @Test
    void issuerIsEnforcedWhenConfigured() throws Exception {
        TokenVerifier verifier = new TokenVerifier(
                new Jwt(Optional.of(SECRET), Optional.empty(), Optional.of("https://game.example")));
        String right = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setIssuer("https://game.example");
        });
        String wrong = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setIssuer("https://evil.example");
        });
        String missing = Tokens.hs256(SECRET, claims -> claims.setSubject("alice"));

        assertEquals("alice", verifier.verify(right).userId());
        assertEquals("wrong issuer", assertThrows(InvalidTokenException.class, () -> verifier.verify(wrong)).getMessage());
        assertEquals("wrong issuer", assertThrows(InvalidTokenException.class, () -> verifier.verify(missing)).getMessage());
    }

    @Test
    void anyIssuerIsAcceptedWhenNoneIsConfigured() throws Exception {
        String token = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setIssuer("https://anyone.example");
        });

        assertEquals("alice", hs256Verifier().verify(token).userId());
    }

    @Test
    void subOf128CharactersIsAccepted() throws Exception {
        String sub = "u".repeat(128);

        assertEquals(sub, hs256Verifier().verify(Tokens.hs256(SECRET, claims -> claims.setSubject(sub))).userId());
    }

    @Test
    void subLongerThan128CharactersIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> claims.setSubject("u".repeat(129)));

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    /**
     * A {@code sub} that is not well-formed UTF-16 has no UTF-8 form: Redis would store the lone surrogate as
     * "?", so U+D800 and "?" would be one user in cluster mode. Such a token is refused, wherever the
     * unpaired surrogate sits.
     */
    @ParameterizedTest
    @ValueSource(strings = { "\\ud800", "\\udc00", "a\\ud800", "\\ud800b", "\\udc00\\ud800", "\\ud83d\\ud83d", "x\\udfff" })
    void subWithALoneSurrogateIsRejected(String escapedSub) {
        String token = Tokens.hs256Json(SECRET, "{\"sub\":\"" + escapedSub + "\"}");

        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
        assertTrue(e.getMessage().contains("sub"), e.getMessage());
    }

    @Test
    void subWithSurrogatePairsAndTheReplacementCharacterIsAccepted() throws Exception {
        TokenVerifier verifier = hs256Verifier();

        assertEquals("\ud83d\ude00", verifier.verify(Tokens.hs256Json(SECRET, "{\"sub\":\"\\ud83d\\ude00\"}")).userId());
        assertEquals("?", verifier.verify(Tokens.hs256Json(SECRET, "{\"sub\":\"?\"}")).userId());
        assertEquals("\ufffd", verifier.verify(Tokens.hs256Json(SECRET, "{\"sub\":\"\\ufffd\"}")).userId());
    }

    @Test
    void nameWithALoneSurrogateIsRejected() {
        String token = Tokens.hs256Json(SECRET, "{\"sub\":\"alice\",\"name\":\"Al\\ud800ice\"}");

        InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
        assertTrue(e.getMessage().contains("name"), e.getMessage());
    }

    @Test
    void payloadThatIsNotUtf8IsRejected() {
        // ED A0 80 is how CESU-8 would write U+D800; a UTF-8 decoder turns it into replacement characters,
        // which would make the sub a well-formed string of U+FFFD that a real user may hold.
        byte[] payload = ("{\"exp\":" + (System.currentTimeMillis() / 1000 + 3600) + ",\"sub\":\"\u0001\"}")
                .getBytes(StandardCharsets.UTF_8);
        int at = new String(payload, StandardCharsets.ISO_8859_1).indexOf('\u0001');
        byte[] invalid = new byte[payload.length + 2];
        System.arraycopy(payload, 0, invalid, 0, at);
        invalid[at] = (byte) 0xED;
        invalid[at + 1] = (byte) 0xA0;
        invalid[at + 2] = (byte) 0x80;
        System.arraycopy(payload, at + 1, invalid, at + 3, payload.length - at - 1);
        String token = Tokens.hs256Bytes(SECRET, invalid);

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void emptySubIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> claims.setSubject(""));

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void nonStringSubIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> claims.setClaim("sub", 42));

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void lobbiesClaimThatIsNotAnArrayOfStringsIsRejected() {
        List<Object> badValues = List.of("room-1", 7, List.of("room-1", 7), Map.of("room", "room-1"), true);
        TokenVerifier verifier = hs256Verifier();

        for (Object bad : badValues) {
            String token = Tokens.hs256(SECRET, claims -> {
                claims.setSubject("alice");
                claims.setClaim("lobbies", bad);
            });
            InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> verifier.verify(token),
                    "lobbies = " + bad);
            assertTrue(e.getMessage().contains("lobbies"), e.getMessage());
        }
    }

    @Test
    void nameClaimThatIsNotAStringIsRejected() {
        String token = Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setClaim("name", 12);
        });

        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify(token));
    }

    @Test
    void mayJoinOnlyListedLobbiesWhenLobbiesClaimIsPresent() {
        Identity restricted = new Identity("alice", null, Optional.of(Set.of("room-1")));

        assertTrue(restricted.mayJoin("room-1"));
        assertFalse(restricted.mayJoin("room-2"));
    }

    @Test
    void mayJoinAnyLobbyWithoutLobbiesClaim() {
        Identity unrestricted = new Identity("alice", null, Optional.empty());

        assertTrue(unrestricted.mayJoin("room-1"));
        assertTrue(unrestricted.mayJoin("anything"));
    }

    @Test
    void emptyLobbiesClaimAllowsNoLobby() throws Exception {
        Identity identity = hs256Verifier().verify(Tokens.hs256(SECRET, claims -> {
            claims.setSubject("alice");
            claims.setStringListClaim("lobbies", List.of());
        }));

        assertFalse(identity.mayJoin("room-1"));
    }

    @Test
    void emptyOrNullTokenIsRejected() {
        TokenVerifier verifier = hs256Verifier();

        assertThrows(InvalidTokenException.class, () -> verifier.verify(""));
        assertThrows(InvalidTokenException.class, () -> verifier.verify(null));
    }

    @Test
    void garbageTokenIsRejected() {
        assertThrows(InvalidTokenException.class, () -> hs256Verifier().verify("not.a.jwt"));
    }

    @Test
    void secretShorterThan32BytesFailsConstructionNamingTheKey() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> new TokenVerifier(Jwt.secret("x".repeat(31))));

        assertTrue(e.getMessage().contains("lobbyhub.auth.jwt.secret"), e.getMessage());
    }

    @Test
    void secretOfExactly32BytesIsAccepted() throws Exception {
        String secret = "s".repeat(32);

        assertEquals("alice", new TokenVerifier(Jwt.secret(secret))
                .verify(Tokens.hs256(secret, claims -> claims.setSubject("alice"))).userId());
    }

    @Test
    void verifierWithoutAnyKeyRejectsEveryToken() {
        TokenVerifier verifier = new TokenVerifier(new Jwt(Optional.empty(), Optional.empty(), Optional.empty()));

        assertThrows(InvalidTokenException.class,
                () -> verifier.verify(Tokens.hs256(SECRET, claims -> claims.setSubject("alice"))));
    }

    @Test
    void rejectionMessageNeverContainsTheToken() {
        TokenVerifier verifier = new TokenVerifier(
                new Jwt(Optional.of(SECRET), Optional.empty(), Optional.of("https://game.example")));
        String secretSub = "sub-that-must-not-leak";
        List<String> badTokens = List.of(
                Tokens.hs256(OTHER_SECRET, claims -> claims.setSubject(secretSub)),
                Tokens.hs256(SECRET, claims -> {
                    claims.setSubject(secretSub);
                    claims.setExpirationTime(NumericDate.fromSeconds(NumericDate.now().getValue() - 60));
                }),
                Tokens.hs256(SECRET, claims -> claims.setSubject(secretSub)),
                Tokens.hs256(SECRET, claims -> {
                    claims.setSubject(secretSub);
                    claims.setIssuer("https://game.example");
                    claims.setClaim("lobbies", "not-a-list");
                }),
                Tokens.sign(null, AlgorithmIdentifiers.NONE, claims -> claims.setSubject(secretSub)),
                "garbage-" + secretSub);

        for (String token : badTokens) {
            InvalidTokenException e = assertThrows(InvalidTokenException.class, () -> verifier.verify(token));
            String message = String.valueOf(e.getMessage());
            assertFalse(message.contains(token), message);
            assertFalse(message.contains(secretSub), message);
            for (String part : token.split("\\.")) {
                if (!part.isEmpty()) {
                    assertFalse(message.contains(part), message);
                }
            }
            assertNull(e.getCause(), "the cause could carry the token into a log");
        }
    }
}
