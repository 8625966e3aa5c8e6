package io.pganalytics.schemas.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * The audit chain's definition, shared by the one writer that extends it (the stream processors) and every
 * verifier (the API, {@code pganalytics audit verify}): the canonical bytes of an event, the hash that links an
 * entry to the one before, signed checkpoints, and {@link #verify}.
 *
 * <pre>hash(seq) = SHA-256("pganalytics.audit.v1" 0x00 ‖ seq as 8 bytes big-endian ‖ prev_hash (32 bytes) ‖ canonical JSON)</pre>
 *
 * Canonical JSON is RFC 8785 (sorted keys, no whitespace, ECMAScript numbers), so that a verifier in another
 * language, or one reading the event back from {@code jsonb}, hashes the same bytes.
 */
public final class AuditChain {

    /** The previous hash of entry 1. */
    public static final String GENESIS = "0".repeat(64);

    /** Where checkpoints lie in the backup bucket, one object each: {@code audit/checkpoints/<size, 20 digits>.json}. */
    public static final String CHECKPOINT_PREFIX = "audit/checkpoints/";

    private static final byte[] DOMAIN = "pganalytics.audit.v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECKPOINT_DOMAIN = "pganalytics.audit.checkpoint.v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private AuditChain() {
    }

    /** The RFC 8785 form of a JSON text. */
    public static String canonical(String json) {
        try {
            return new JsonCanonicalizer(json).getEncodedString();
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    /** The canonical JSON of an event, the bytes its entry hashes: every field, {@code before} and {@code after} as objects. */
    public static String canonical(AuditEvent event) {
        ObjectNode node = JSON.createObjectNode();
        node.put("outboxId", event.getOutboxId());
        node.put("txId", event.getTxId());
        node.put("occurredAtMicros", micros(event.getOccurredAt()));
        node.put("actor", event.getActor());
        node.put("role", event.getRole());
        node.put("authMethod", event.getAuthMethod());
        node.put("action", event.getAction());
        node.put("resourceType", event.getResourceType());
        node.put("resourceId", event.getResourceId());
        node.set("before", parsed(event.getBefore()));
        node.set("after", parsed(event.getAfter()));
        node.put("clientIp", event.getClientIp());
        node.put("userAgent", event.getUserAgent());
        node.put("requestId", event.getRequestId());
        node.put("outOfBand", event.getOutOfBand());
        node.put("databaseRole", event.getDatabaseRole());
        return canonical(node.toString());
    }

    /** The hash of entry {@code seq} after {@code prevHash} (hex), over {@code canonicalEvent}. */
    public static String hash(long seq, String prevHash, String canonicalEvent) {
        MessageDigest sha = sha256();
        sha.update(DOMAIN);
        sha.update(ByteBuffer.allocate(Long.BYTES).putLong(seq).array());
        sha.update(HEX.parseHex(prevHash));
        sha.update(canonicalEvent.getBytes(StandardCharsets.UTF_8));
        return HEX.formatHex(sha.digest());
    }

    /** The entry that follows {@code previous} (null for the first) with {@code event}. */
    public static AuditEntry append(AuditEntry previous, AuditEvent event) {
        long seq = previous == null ? 1 : previous.getSeq() + 1;
        String prev = previous == null ? GENESIS : previous.getHash();
        String canonical = canonical(event);
        return new AuditEntry(seq, prev, hash(seq, prev, canonical), canonical);
    }

    // ======== checkpoints ========

    /**
     * What a checkpoint vouches for: the chain had {@code size} entries, the last one hashed {@code headHash}, at
     * {@code at}; {@code previousSignature} links it to the checkpoint before (empty for the first), so that one
     * cannot be dropped from the middle unnoticed.
     */
    public record Checkpoint(long size, String headHash, Instant at, String previousSignature) {

        /** The bytes signed: the domain, then the canonical JSON of the four fields. */
        public byte[] signedBytes() {
            ObjectNode node = JSON.createObjectNode();
            node.put("size", size);
            node.put("headHash", headHash);
            node.put("at", at.toString());
            node.put("previousSignature", previousSignature);
            byte[] body = canonical(node.toString()).getBytes(StandardCharsets.UTF_8);
            return ByteBuffer.allocate(CHECKPOINT_DOMAIN.length + body.length).put(CHECKPOINT_DOMAIN).put(body).array();
        }

        /** Signs it with the checkpoint key (Ed25519). */
        public SignedCheckpoint sign(PrivateKey key, String keyId) {
            try {
                Signature signer = Signature.getInstance("Ed25519");
                signer.initSign(key);
                signer.update(signedBytes());
                return new SignedCheckpoint(this, keyId, Base64.getEncoder().encodeToString(signer.sign()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot sign a checkpoint with Ed25519: " + e.getMessage(), e);
            }
        }
    }

    /** A checkpoint with its signature (base64) and the id of the key that made it. */
    public record SignedCheckpoint(Checkpoint checkpoint, String keyId, String signature) {

        /** Whether the signature is {@code key}'s over the checkpoint. */
        public boolean verifiesWith(PublicKey key) {
            try {
                Signature verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(checkpoint.signedBytes());
                return verifier.verify(Base64.getDecoder().decode(signature));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return false;
            }
        }

        /** As stored next to the backups: one JSON object. */
        public String toJson() {
            ObjectNode node = JSON.createObjectNode();
            node.put("size", checkpoint.size());
            node.put("headHash", checkpoint.headHash());
            node.put("at", checkpoint.at().toString());
            node.put("previousSignature", checkpoint.previousSignature());
            node.put("keyId", keyId);
            node.put("signature", signature);
            return node.toString();
        }

        /** Reads {@link #toJson()}. */
        public static SignedCheckpoint fromJson(String json) {
            try {
                JsonNode node = JSON.readTree(json);
                return new SignedCheckpoint(new Checkpoint(node.path("size").asLong(), node.path("headHash").asText(),
                        Instant.parse(node.path("at").asText()), node.path("previousSignature").asText()),
                        node.path("keyId").asText(), node.path("signature").asText());
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("not a checkpoint: " + e.getMessage(), e);
            }
        }
    }

    // ======== verification ========

    /** An entry as stored: what {@link #verify} recomputes. */
    public record StoredEntry(long seq, String prevHash, String hash, String event) {
    }

    /** The first thing wrong with a chain: the {@code seq} where it is, and why. */
    public record Problem(long seq, String reason) {
    }

    /**
     * What {@link #verify} found: the entries and checkpoints it checked, whether it checked the checkpoints'
     * signatures (only with a pinned public key), and the first problem if any.
     */
    public record Verification(long entries, String headHash, int checkpoints, boolean signaturesChecked, Optional<Problem> problem) {

        public boolean intact() {
            return problem.isEmpty();
        }
    }

    /**
     * Walks {@code entries} (in seq order) recomputing every link, and checks {@code checkpoints} against the pinned
     * {@code publicKey} (when null, signatures are not checked, only what the checkpoints vouch for) and the entries
     * they vouch for. Reports the problem with the lowest seq: an edited, removed or
     * moved entry where it is; a tail cut off after a checkpoint at the first missing seq; a forged checkpoint, or
     * one signed by another key, at its size. An attacker who rewrites an entry and recomputes every hash after it is
     * caught by the next checkpoint, and so reported at that checkpoint's size.
     */
    public static Verification verify(Iterator<StoredEntry> entries, List<SignedCheckpoint> checkpoints, PublicKey publicKey) {
        List<Problem> problems = new ArrayList<>();
        List<SignedCheckpoint> ordered = new ArrayList<>(checkpoints);
        ordered.sort(Comparator.comparingLong(c -> c.checkpoint().size()));
        Map<Long, String> vouched = new HashMap<>();
        String previousSignature = "";
        for (SignedCheckpoint signed : ordered) {
            long size = signed.checkpoint().size();
            if (publicKey != null && !signed.verifiesWith(publicKey)) {
                problems.add(new Problem(size, "the checkpoint at " + size + " does not verify with the pinned public key"
                        + " (forged, altered, or signed by another key: " + signed.keyId() + ")"));
            } else if (!signed.checkpoint().previousSignature().equals(previousSignature)) {
                problems.add(new Problem(size, "the checkpoint at " + size + " does not follow the checkpoint before it (one removed or replaced)"));
            }
            vouched.put(size, signed.checkpoint().headHash());
            previousSignature = signed.signature();
        }
        long expected = 1;
        String previous = GENESIS;
        boolean broken = false;
        while (entries.hasNext()) {
            StoredEntry entry = entries.next();
            Problem problem = check(entry, expected, previous, vouched.get(entry.seq()));
            if (problem != null) {
                problems.add(problem);
                broken = true;
                break;
            }
            previous = entry.hash();
            expected++;
        }
        long size = expected - 1;
        if (!broken) {
            ordered.stream().map(c -> c.checkpoint().size()).filter(s -> s > size).max(Long::compare)
                    .ifPresent(s -> problems.add(new Problem(size + 1, "entries " + (size + 1) + " to " + s
                            + " are missing: the signed checkpoint at " + s + " vouches for them (the tail was cut off)")));
        }
        Optional<Problem> first = problems.stream().min(Comparator.comparingLong(Problem::seq));
        return new Verification(size, previous, ordered.size(), publicKey != null, first);
    }

    private static Problem check(StoredEntry entry, long expected, String previous, String vouchedHash) {
        if (entry.seq() != expected) {
            return new Problem(expected, entry.seq() > expected
                    ? "entry " + expected + " is missing (the next stored entry is " + entry.seq() + ")"
                    : "entry " + entry.seq() + " appears again after " + (expected - 1));
        }
        if (!entry.prevHash().equals(previous)) {
            return new Problem(entry.seq(), "entry " + entry.seq() + " does not link to entry " + (entry.seq() - 1)
                    + " (prev_hash differs: entries reordered, or one before it replaced)");
        }
        String recomputed;
        try {
            recomputed = hash(entry.seq(), entry.prevHash(), canonical(entry.event()));
        } catch (IllegalArgumentException e) {
            return new Problem(entry.seq(), "entry " + entry.seq() + " is not valid JSON any more (altered)");
        }
        if (!recomputed.equals(entry.hash())) {
            return new Problem(entry.seq(), "entry " + entry.seq() + " does not match its hash (its content was altered)");
        }
        if (vouchedHash != null && !vouchedHash.equals(entry.hash())) {
            return new Problem(entry.seq(), "entry " + entry.seq() + " differs from the signed checkpoint at " + entry.seq()
                    + " (the chain was rewritten and rehashed)");
        }
        return null;
    }

    /** The id of a checkpoint key: the first 16 hex digits of the SHA-256 of its encoded public key. */
    public static String keyId(PublicKey key) {
        return HEX.formatHex(sha256().digest(key.getEncoded())).substring(0, 16);
    }

    private static JsonNode parsed(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("an audit event's before/after is not JSON", e);
        }
    }

    /** Microseconds since the epoch, as the event's {@code occurredAtMicros} counts time. */
    public static long micros(Instant at) {
        return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1_000);
    }

    /** The instant of {@link #micros}. */
    public static Instant ofMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    /** The object key of the checkpoint at {@code size}, zero-padded so that keys sort as sizes do. */
    public static String checkpointKey(long size) {
        return CHECKPOINT_PREFIX + String.format("%020d", size) + ".json";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }
}
