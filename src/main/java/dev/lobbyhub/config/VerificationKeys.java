package dev.lobbyhub.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.keys.HmacKey;

import io.quarkus.runtime.configuration.ConfigurationException;

/**
 * Turns the configured secret or public key into a verification key and the one algorithm it
 * allows; a key that cannot be used fails with a sentence naming its setting.
 */
public final class VerificationKeys {

    static final int MIN_SECRET_BYTES = 32;

    public record KeyAndAlgorithm(Key key, String algorithm) {
    }

    private VerificationKeys() {
    }

    /** The key of this configuration: from the secret, else the public key; empty when neither is set. */
    public static Optional<KeyAndAlgorithm> of(LobbyhubConfig.Jwt jwt) {
        return jwt.secret().map(VerificationKeys::fromSecret).or(() -> jwt.publicKey().map(VerificationKeys::fromPublicKey));
    }

    public static KeyAndAlgorithm fromSecret(String secret) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < MIN_SECRET_BYTES) {
            throw new ConfigurationException("lobbyhub.auth.jwt.secret must be at least " + MIN_SECRET_BYTES
                    + " bytes of UTF-8 (was " + bytes.length + ")");
        }
        return new KeyAndAlgorithm(new HmacKey(bytes), AlgorithmIdentifiers.HMAC_SHA256);
    }

    /** PEM text, or the path of a PEM file, holding an RSA or EC public key (SubjectPublicKeyInfo). */
    public static KeyAndAlgorithm fromPublicKey(String pemOrPath) {
        String pem = pemOrPath.contains("-----BEGIN") ? pemOrPath : readFile(pemOrPath);
        PublicKey key = parse(pem);
        if (key instanceof RSAPublicKey) {
            return new KeyAndAlgorithm(key, AlgorithmIdentifiers.RSA_USING_SHA256);
        }
        if (key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256) {
            return new KeyAndAlgorithm(key, AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        }
        throw new ConfigurationException("lobbyhub.auth.jwt.public-key must be an RSA key or an EC P-256 key");
    }

    private static String readFile(String path) {
        try {
            return Files.readString(Path.of(path.trim()), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("lobbyhub.auth.jwt.public-key is neither PEM text nor a readable file: "
                    + path.trim());
        }
    }

    private static PublicKey parse(String pem) {
        byte[] der;
        try {
            String body = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("lobbyhub.auth.jwt.public-key is not valid PEM (expected BEGIN PUBLIC KEY)");
        }
        for (String type : new String[] { "RSA", "EC" }) {
            try {
                return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
            } catch (Exception tryNext) {
                // not a key of this type
            }
        }
        throw new ConfigurationException("lobbyhub.auth.jwt.public-key holds no RSA or EC public key");
    }
}
