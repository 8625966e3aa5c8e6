package io.pganalytics.fleet.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes of local accounts in the PHC string format
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}), the format libsodium and the reference implementation
 * write, so a hash says which parameters made it and a login can rehash one made with older parameters.
 */
public final class PasswordHasher {

    /**
     * Argon2id's cost.
     *
     * @param memoryKib   memory per hash in KiB (OWASP's minimum for Argon2id: 19456, i.e. 19 MiB)
     * @param iterations  passes over that memory
     * @param parallelism lanes
     */
    public record Parameters(int memoryKib, int iterations, int parallelism) {

        /** OWASP's recommended minimum (Password Storage Cheat Sheet): m=19 MiB, t=2, p=1; 64 ms a verification measured here (warm, one core of the CI machine). */
        public static final Parameters DEFAULT = new Parameters(19_456, 2, 1);

        public Parameters {
            if (memoryKib < 8 * parallelism || memoryKib > 4 * 1024 * 1024) {
                throw new IllegalArgumentException("argon2 memory: expected " + 8 * parallelism + "-4194304 KiB, got " + memoryKib);
            }
            if (iterations < 1 || iterations > 100) {
                throw new IllegalArgumentException("argon2 iterations: expected 1-100, got " + iterations);
            }
            if (parallelism < 1 || parallelism > 16) {
                throw new IllegalArgumentException("argon2 parallelism: expected 1-16, got " + parallelism);
            }
        }
    }

    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64_DECODER = Base64.getDecoder();
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;

    private final Parameters parameters;
    private final SecureRandom random = new SecureRandom();
    /** Verified against when the user does not exist, so that an unknown name costs as long as a wrong password. */
    private final String decoy;

    public PasswordHasher(Parameters parameters) {
        this.parameters = parameters;
        this.decoy = hash("decoy password that matches nothing");
    }

    public Parameters parameters() {
        return parameters;
    }

    /** A new hash of {@code password} with a fresh salt and this hasher's parameters. */
    public String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] hash = argon2(password, salt, parameters, HASH_BYTES);
        return "$argon2id$v=19$m=" + parameters.memoryKib() + ",t=" + parameters.iterations() + ",p="
                + parameters.parallelism() + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    }

    /** Whether {@code password} is the one {@code stored} was made from (constant time in the hash comparison). */
    public boolean verify(String password, String stored) {
        Optional<Decoded> decoded = decode(stored);
        if (decoded.isEmpty() || password == null) {
            return false;
        }
        Decoded d = decoded.get();
        return MessageDigest.isEqual(argon2(password, d.salt(), d.parameters(), d.hash().length), d.hash());
    }

    /** Spends the time of one verification on nothing: what a login for an unknown user does. */
    public void verifyDecoy(String password) {
        verify(password == null ? "" : password, decoy);
    }

    /** Whether {@code stored} was made with other parameters than this hasher's (then a login rehashes it). */
    public boolean needsRehash(String stored) {
        return decode(stored).map(d -> !d.parameters().equals(parameters)).orElse(true);
    }

    private record Decoded(Parameters parameters, byte[] salt, byte[] hash) {
    }

    private static Optional<Decoded> decode(String stored) {
        Matcher m = stored == null ? null : PHC.matcher(stored);
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        try {
            Parameters p = new Parameters(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
            return Optional.of(new Decoded(p, B64_DECODER.decode(m.group(4)), B64_DECODER.decode(m.group(5))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] argon2(String password, byte[] salt, Parameters p, int length) {
        Argon2Parameters argon = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13).withSalt(salt).withMemoryAsKB(p.memoryKib())
                .withIterations(p.iterations()).withParallelism(p.parallelism()).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(argon);
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
