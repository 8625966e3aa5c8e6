package io.pganalytics.schemas.secret;

import io.pganalytics.config.InvalidValue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts and decrypts the secrets the fleet shares through Kafka (target passwords) with AES-256-GCM,
 * the key id written into the ciphertext so that keys can rotate: {@code v1:<keyId>:<base64(iv | ciphertext | tag)>}.
 * A secret that belongs to one record is bound to it ({@link #encrypt(String, String)}, {@code v2}): the record's
 * name is authenticated with it, so a ciphertext copied onto another record does not decrypt.
 *
 * <p>Keys come from {@code fleet.secret.keys} = {@code keyId:base64Key[,keyId:base64Key...]}: the first
 * encrypts, every one decrypts. To rotate, put the new key first, re-write the secrets, then drop the
 * old key. The version and key id are authenticated too (GCM additional data), so neither can be
 * swapped on a ciphertext. No method, message or {@link #toString()} ever shows key material.
 */
public final class SecretBox {

    /** The configuration key the keys are read from, named in every error. */
    public static final String KEYS = "fleet.secret.keys";

    private static final String VERSION = "v1";
    private static final String BOUND_VERSION = "v2";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int KEY_BYTES = 32;
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, SecretKey> keys;
    private final String encryptingKeyId;

    private SecretBox(Map<String, SecretKey> keys) {
        this.keys = keys;
        this.encryptingKeyId = keys.keySet().iterator().next();
    }

    /**
     * The keys of {@code fleet.secret.keys}; errors name the entry by position and key id, never by its value.
     *
     * @throws InvalidValue when the list is empty or an entry is malformed, at {@code fleet.secret.keys[i]}
     */
    public static SecretBox parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new InvalidValue(KEYS, "required, keyId:base64Key[,keyId:base64Key...]");
        }
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        String[] entries = spec.split(",");
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].strip();
            int colon = entry.indexOf(':');
            String where = KEYS + "[" + i + "]";
            if (colon <= 0) {
                throw new InvalidValue(where, "expected keyId:base64Key");
            }
            String keyId = entry.substring(0, colon);
            if (!KEY_ID.matcher(keyId).matches()) {
                throw new InvalidValue(where, "key id must be 1 to 64 letters, digits, '.', '_' or '-'");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(entry.substring(colon + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new InvalidValue(where + " (key id '" + keyId + "')", "the key is not valid base64");
            }
            if (key.length != KEY_BYTES) {
                throw new InvalidValue(where + " (key id '" + keyId + "')", "expected a 256-bit key (32 bytes, "
                        + "44 base64 characters), got " + key.length + " bytes");
            }
            if (keys.put(keyId, new SecretKeySpec(key, "AES")) != null) {
                throw new InvalidValue(where, "key id '" + keyId + "' appears twice");
            }
        }
        return new SecretBox(keys);
    }

    /** A new random key in the form {@code fleet.secret.keys} expects: {@code keyId:base64Key}. */
    public static String generateKey(String keyId) {
        if (!KEY_ID.matcher(keyId).matches()) {
            throw new IllegalArgumentException("key id must be 1 to 64 letters, digits, '.', '_' or '-', got '" + keyId + "'");
        }
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return keyId + ":" + Base64.getEncoder().encodeToString(key);
    }

    /** The id of the key that {@link #encrypt} uses: the first of the list. */
    public String encryptingKeyId() {
        return encryptingKeyId;
    }

    /** Every key id, the encrypting one first. */
    public List<String> keyIds() {
        return List.copyOf(keys.keySet());
    }

    /** {@code plaintext} encrypted under the first key with a fresh random IV. */
    public String encrypt(String plaintext) {
        return seal(VERSION, plaintext, header(VERSION, encryptingKeyId, null));
    }

    /**
     * {@code plaintext} encrypted under the first key and bound to {@code context}, e.g. {@code target:orders-db}:
     * only {@link #decrypt(String, String)} with the same context decrypts it.
     */
    public String encrypt(String plaintext, String context) {
        return seal(BOUND_VERSION, plaintext, header(BOUND_VERSION, encryptingKeyId, Objects.requireNonNull(context, "context")));
    }

    private String seal(String version, String plaintext, byte[] aad) {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.get(encryptingKeyId), new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
            return version + ":" + encryptingKeyId + ":" + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM: " + e.getMessage(), e);
        }
    }

    /**
     * The plaintext of a value {@link #encrypt(String)} wrote, with any of the keys.
     *
     * @throws Undecryptable naming the key id when the key is missing, or when the value was altered; a value
     *                       bound to a context ({@code v2}) needs {@link #decrypt(String, String)}
     */
    public String decrypt(String sealed) {
        return decrypt(sealed, null);
    }

    /**
     * The plaintext of a value {@link #encrypt(String, String)} bound to {@code context}; a {@code v1} value (bound to
     * nothing) decrypts too, so that records written before binding stay readable.
     *
     * @throws Undecryptable naming the key id when the key is missing, or when the value was altered or belongs to
     *                       another context
     */
    public String decrypt(String sealed, String context) {
        String[] parts = sealed == null ? new String[0] : sealed.split(":", 3);
        if (parts.length != 3 || !(parts[0].equals(VERSION) || parts[0].equals(BOUND_VERSION))) {
            throw new Undecryptable("not an encrypted secret (expected " + VERSION + " or " + BOUND_VERSION + ":<keyId>:<base64>)");
        }
        String version = parts[0];
        if (version.equals(BOUND_VERSION) && context == null) {
            throw new Undecryptable("bound to a record, and decrypted without naming it");
        }
        String keyId = parts[1];
        SecretKey key = keys.get(keyId);
        if (key == null) {
            throw new Undecryptable("encrypted with key '" + keyId + "', which " + KEYS + " does not have (it has "
                    + String.join(", ", keys.keySet()) + ")");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new Undecryptable("encrypted with key '" + keyId + "' but its body is not valid base64");
        }
        if (bytes.length < IV_BYTES + TAG_BITS / 8) {
            throw new Undecryptable("encrypted with key '" + keyId + "' but too short to hold an IV and a tag");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, bytes, 0, IV_BYTES));
            cipher.updateAAD(header(version, keyId, version.equals(BOUND_VERSION) ? context : null));
            return new String(cipher.doFinal(bytes, IV_BYTES, bytes.length - IV_BYTES), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new Undecryptable("does not authenticate with key '" + keyId
                    + "': altered, moved from another record, or encrypted with another key under the same id");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM: " + e.getMessage(), e);
        }
    }

    /** The key id an encrypted value names, or null when it is not one; needs no key. */
    public static String keyIdOf(String sealed) {
        String[] parts = sealed == null ? new String[0] : sealed.split(":", 3);
        return parts.length == 3 && (parts[0].equals(VERSION) || parts[0].equals(BOUND_VERSION)) ? parts[1] : null;
    }

    private static byte[] header(String version, String keyId, String context) {
        return (version + ":" + keyId + (context == null ? "" : ":" + context)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        List<String> ids = new ArrayList<>(keys.keySet());
        return "SecretBox[keys=" + ids + ", encrypting with " + encryptingKeyId + "]";
    }

    /** A secret that cannot be decrypted with the configured keys; the message names why, never the secret. */
    public static final class Undecryptable extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        Undecryptable(String message) {
            super(message);
        }
    }
}
