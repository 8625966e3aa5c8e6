package io.pganalytics.fleet.admin;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.OptionalLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One-time codes of RFC 4226 (HOTP) and RFC 6238 (TOTP) with the parameters every authenticator app uses: HMAC-SHA1,
 * 6 digits, 30-second steps, and one step of drift either way. A code is accepted once: {@link #verify} only
 * matches a step after the last one used.
 */
public final class Totp {

    public static final int DIGITS = 6;
    public static final int STEP_SECONDS = 30;
    /** Steps either side of now that are accepted: a phone's clock a little off, a code typed at the end of its step. */
    public static final int WINDOW = 1;
    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final int[] POWERS = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000};

    private Totp() {
    }

    /** A new shared secret: 20 random bytes (160 bits, RFC 4226's recommendation for SHA-1). */
    public static byte[] newSecret(SecureRandom random) {
        byte[] secret = new byte[20];
        random.nextBytes(secret);
        return secret;
    }

    /** The HOTP value of {@code counter} (RFC 4226 §5.3: dynamic truncation), zero-padded to {@code digits}. */
    public static String hotp(byte[] key, long counter, int digits, String hmacAlgorithm) {
        byte[] hash;
        try {
            Mac mac = Mac.getInstance(hmacAlgorithm);
            mac.init(new SecretKeySpec(key, hmacAlgorithm));
            hash = mac.doFinal(ByteBuffer.allocate(8).putLong(counter).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(hmacAlgorithm + ": " + e.getMessage(), e);
        }
        int offset = hash[hash.length - 1] & 0x0f;
        int binary = (hash[offset] & 0x7f) << 24 | (hash[offset + 1] & 0xff) << 16 | (hash[offset + 2] & 0xff) << 8
                | hash[offset + 3] & 0xff;
        StringBuilder code = new StringBuilder(Integer.toString(binary % POWERS[digits]));
        while (code.length() < digits) {
            code.insert(0, '0');
        }
        return code.toString();
    }

    /** The time step of {@code at} (RFC 6238: seconds since the epoch over 30). */
    public static long step(Instant at) {
        return Math.floorDiv(at.getEpochSecond(), STEP_SECONDS);
    }

    /** The 6-digit code of {@code step}. */
    public static String code(byte[] secret, long step) {
        return hotp(secret, step, DIGITS, "HmacSHA1");
    }

    /**
     * The step {@code code} belongs to, when it is the code of a step within {@link #WINDOW} of now and after
     * {@code lastUsedStep}; empty otherwise (a malformed code too). Spaces are ignored ("123 456").
     */
    public static OptionalLong verify(byte[] secret, String code, Instant now, long lastUsedStep) {
        if (code == null) {
            return OptionalLong.empty();
        }
        String digits = code.replace(" ", "");
        if (digits.length() != DIGITS || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.empty();
        }
        byte[] given = digits.getBytes(StandardCharsets.US_ASCII);
        long current = step(now);
        for (long step = current - WINDOW; step <= current + WINDOW; step++) {
            if (step > lastUsedStep && MessageDigest.isEqual(code(secret, step).getBytes(StandardCharsets.US_ASCII), given)) {
                return OptionalLong.of(step);
            }
        }
        return OptionalLong.empty();
    }

    /** The enrolment URI authenticator apps read from a QR code (Google's Key Uri Format). */
    public static String otpauthUri(String issuer, String account, byte[] secret) {
        String label = encode(issuer) + ":" + encode(account);
        return "otpauth://totp/" + label + "?secret=" + base32(secret) + "&issuer=" + encode(issuer)
                + "&algorithm=SHA1&digits=" + DIGITS + "&period=" + STEP_SECONDS;
    }

    /** RFC 4648 base32 without padding: how apps take a secret typed by hand. */
    public static String base32(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = buffer << 8 | b & 0xff;
            bits += 8;
            while (bits >= 5) {
                out.append(BASE32.charAt(buffer >>> bits - 5 & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(BASE32.charAt(buffer << 5 - bits & 31));
        }
        return out.toString();
    }

    private static String encode(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
