package io.pganalytics.sink.s3;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.secret.SecretBox;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client-side envelope encryption of backup objects: each object's content is encrypted with AES-256-GCM under a data
 * key of its own (random, used once), the object's name authenticated with it; the data key is sealed by the key
 * ring of {@value S3Connection#ENCRYPTION_KEYS} ({@link SecretBox}: the first key seals, every one opens) and kept,
 * with the ring key's id, in the object's metadata. A thief with the bucket and not the ring reads nothing; rotating
 * the ring re-seals data keys ({@link #rewrapped}), never the data.
 *
 * <p>Content: {@code IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)}.
 */
public final class BackupEncryption {

    /** Metadata: the scheme; absent on a plaintext object. */
    public static final String META_ENCRYPTION = "pga-encryption";
    /** Metadata: the data key, sealed by the ring ({@code v2:<keyId>:...}, bound to the object's name). */
    public static final String META_DATA_KEY = "pga-data-key";
    /** Metadata: the ring key that sealed it, for people and for {@code backup rewrap}. */
    public static final String META_KEY_ID = "pga-key-id";
    public static final String SCHEME = "aes-256-gcm-envelope-v1";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretBox ring;

    private BackupEncryption(SecretBox ring) {
        this.ring = ring;
    }

    /** The ring {@code spec} ({@code keyId:base64Key[,...]}) describes; errors name {@value S3Connection#ENCRYPTION_KEYS}. */
    public static BackupEncryption of(String spec) {
        try {
            return new BackupEncryption(SecretBox.parse(spec));
        } catch (InvalidValue e) {
            throw new InvalidValue(S3Connection.ENCRYPTION_KEYS, e.problems().get(0).reason());
        }
    }

    /** The id of the key new objects are sealed with. */
    public String encryptingKeyId() {
        return ring.encryptingKeyId();
    }

    /** An encrypted object: its content and the metadata to store with it. */
    public record Sealed(byte[] content, Map<String, String> metadata) {
    }

    /** {@code plaintext} of the object named {@code objectKey}, encrypted; {@code metadata} plus what opening it needs. */
    public Sealed seal(String objectKey, byte[] plaintext, Map<String, String> metadata) {
        byte[] dataKey = new byte[32];
        RANDOM.nextBytes(dataKey);
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            byte[] body = cipher.doFinal(plaintext);
            Map<String, String> sealed = new HashMap<>(metadata);
            sealed.put(META_ENCRYPTION, SCHEME);
            sealed.put(META_DATA_KEY, ring.encrypt(Base64.getEncoder().encodeToString(dataKey), objectKey));
            sealed.put(META_KEY_ID, ring.encryptingKeyId());
            return new Sealed(ByteBuffer.allocate(iv.length + body.length).put(iv).put(body).array(), Map.copyOf(sealed));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM: " + e.getMessage(), e);
        }
    }

    /** Whether an object's metadata says it is encrypted. */
    public static boolean encrypted(Map<String, String> metadata) {
        return metadata.containsKey(META_ENCRYPTION);
    }

    /**
     * The plaintext of an object as stored. {@code ring} may be null for a plaintext object; an encrypted one then
     * fails naming the key it needs.
     *
     * @throws Undecryptable naming the object and the key, when the key is missing, wrong, or the object was altered
     */
    public static byte[] open(BackupEncryption ring, String objectKey, byte[] content, Map<String, String> metadata) {
        if (!encrypted(metadata)) {
            return content;
        }
        String keyId = metadata.getOrDefault(META_KEY_ID, SecretBox.keyIdOf(metadata.get(META_DATA_KEY)));
        if (!SCHEME.equals(metadata.get(META_ENCRYPTION))) {
            throw new Undecryptable(objectKey + " is encrypted with '" + metadata.get(META_ENCRYPTION) + "', which this version cannot read");
        }
        if (ring == null) {
            throw new Undecryptable(objectKey + " is encrypted (data key sealed with key '" + keyId + "'): set "
                    + S3Connection.ENCRYPTION_KEYS + " to a ring holding that key");
        }
        byte[] dataKey = ring.dataKey(objectKey, metadata, keyId);
        if (content.length < IV_BYTES + TAG_BITS / 8) {
            throw new Undecryptable(objectKey + " is too short to be an encrypted backup object");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(TAG_BITS, content, 0, IV_BYTES));
            cipher.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(content, IV_BYTES, content.length - IV_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new Undecryptable("corrupt object " + objectKey + ": it does not authenticate under its data key (its content"
                    + " was altered, or it was copied from another object's name)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM: " + e.getMessage(), e);
        }
    }

    /**
     * The metadata of an object with its data key sealed again by the ring's first key (the data untouched); the same
     * metadata when it is sealed with that key already or not encrypted.
     */
    public Map<String, String> rewrapped(String objectKey, Map<String, String> metadata) {
        if (!encrypted(metadata) || ring.encryptingKeyId().equals(metadata.get(META_KEY_ID))) {
            return metadata;
        }
        byte[] dataKey = dataKey(objectKey, metadata, metadata.get(META_KEY_ID));
        Map<String, String> rewrapped = new HashMap<>(metadata);
        rewrapped.put(META_DATA_KEY, ring.encrypt(Base64.getEncoder().encodeToString(dataKey), objectKey));
        rewrapped.put(META_KEY_ID, ring.encryptingKeyId());
        return Map.copyOf(rewrapped);
    }

    private byte[] dataKey(String objectKey, Map<String, String> metadata, String keyId) {
        try {
            return Base64.getDecoder().decode(ring.decrypt(metadata.get(META_DATA_KEY), objectKey));
        } catch (SecretBox.Undecryptable e) {
            if (!ring.keyIds().contains(keyId)) {
                throw new Undecryptable(objectKey + " has its data key sealed with key '" + keyId + "', which "
                        + S3Connection.ENCRYPTION_KEYS + " does not have (it has " + String.join(", ", ring.keyIds()) + ")");
            }
            throw new Undecryptable(objectKey + ": its data key does not open with key '" + keyId + "' (a wrong key of that id,"
                    + " or altered metadata)");
        }
    }

    /** An object that cannot be decrypted, with why in terms of objects and key ids (never key material). */
    public static final class Undecryptable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Undecryptable(String message) {
            super(message);
        }
    }

    @Override
    public String toString() {
        return "BackupEncryption[keys=" + ring.keyIds() + "]";
    }
}
