package io.pganalytics.registry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A password as the registry's configuration holds it: a salted PBKDF2-HMAC-SHA256 hash written
 * {@code pbkdf2-sha256:<iterations>:<base64 salt>:<base64 hash>}, so that no configuration file holds a password.
 */
public record PasswordHash(int iterations, byte[] salt, byte[] hash) {

    private static final String PREFIX = "pbkdf2-sha256:";
    private static final int DEFAULT_ITERATIONS = 210_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;

    /** Hashes a new password with a random salt; {@link #toString()} gives the text to put in the configuration. */
    public static PasswordHash of(char[] password) {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        return new PasswordHash(DEFAULT_ITERATIONS, salt, derive(password, salt, DEFAULT_ITERATIONS));
    }

    /** Reads the configuration form; the message of an {@link IllegalArgumentException} says what is wrong. */
    public static PasswordHash parse(String text) {
        if (text == null || !text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("expected " + PREFIX + "<iterations>:<salt>:<hash>");
        }
        String[] parts = text.substring(PREFIX.length()).split(":");
        try {
            if (parts.length != 3) {
                throw new IllegalArgumentException("three parts");
            }
            int iterations = Integer.parseInt(parts[0]);
            if (iterations < 1) {
                throw new IllegalArgumentException("iterations");
            }
            return new PasswordHash(iterations, Base64.getDecoder().decode(parts[1]),
                    Base64.getDecoder().decode(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected " + PREFIX + "<iterations>:<base64 salt>:<base64 hash>");
        }
    }

    /** True when the password hashes to this hash (compared in constant time). */
    public boolean matches(char[] password) {
        return MessageDigest.isEqual(hash, derive(password, salt, iterations));
    }

    /** The configuration form. */
    @Override
    public String toString() {
        return PREFIX + iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":"
                + Base64.getEncoder().encodeToString(hash);
    }

    /** The SHA-256 of a text, in hex: how verified credentials are remembered without keeping them. */
    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password, salt, iterations, HASH_BITS)).getEncoded();
        } catch (NoSuchAlgorithmException | InvalidKeySpecException e) {
            throw new IllegalStateException("every JDK has PBKDF2WithHmacSHA256", e);
        }
    }

}
