package io.pganalytics.schemas.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditChainTest {

    private static AuditEvent event(long id) {
        return AuditEvent.newBuilder().setOutboxId(id).setTxId(id).setOccurredAt(Instant.parse("2026-12-03T10:00:00.123456Z"))
                .setActor("alice").setAction("user.create").setResourceType("users").setResourceId("u" + id)
                .setAfter("{\"z\": 1, \"a\": \"é\", \"n\": null}").setOutOfBand(false).setDatabaseRole("pga").build();
    }

    private static List<AuditChain.StoredEntry> chain(int n) {
        List<AuditChain.StoredEntry> out = new ArrayList<>();
        AuditEntry previous = null;
        for (int i = 1; i <= n; i++) {
            AuditEntry entry = AuditChain.append(previous, event(i));
            out.add(new AuditChain.StoredEntry(entry.getSeq(), entry.getPrevHash(), entry.getHash(), entry.getEvent()));
            previous = entry;
        }
        return out;
    }

    @Test
    void canonicalJsonSortsKeysAndDropsWhitespaceAsRfc8785Says() {
        assertThat(AuditChain.canonical("{\"b\": [1, 2.50, 1e3], \"a\": {\"y\": true, \"x\": \"\\u00e9\"}}"))
                .isEqualTo("{\"a\":{\"x\":\"é\",\"y\":true},\"b\":[1,2.5,1000]}");
        // The row image is hashed as an object: a verifier reading it back from jsonb hashes the same bytes.
        assertThat(AuditChain.canonical(event(1))).contains("\"after\":{\"a\":\"é\",\"n\":null,\"z\":1}")
                .contains("\"occurredAtMicros\":1796292000123456");
    }

    @Test
    void theHashCoversTheSequenceNumberThePreviousHashAndTheContent() {
        String content = AuditChain.canonical(event(1));
        String hash = AuditChain.hash(1, AuditChain.GENESIS, content);
        assertThat(hash).hasSize(64).isNotEqualTo(AuditChain.hash(2, AuditChain.GENESIS, content))
                .isNotEqualTo(AuditChain.hash(1, "1".repeat(64), content))
                .isNotEqualTo(AuditChain.hash(1, AuditChain.GENESIS, content.replace("alice", "alicf")));
    }

    @Test
    void aRewrittenAndRehashedChainIsCaughtByTheNextSignedCheckpoint() throws Exception {
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        List<AuditChain.StoredEntry> entries = chain(6);
        AuditChain.SignedCheckpoint at4 = new AuditChain.Checkpoint(4, entries.get(3).hash(), Instant.now(), "")
                .sign(keys.getPrivate(), AuditChain.keyId(keys.getPublic()));
        assertThat(AuditChain.verify(entries.iterator(), List.of(at4), keys.getPublic()).problem()).isEmpty();

        // Entry 2 rewritten and every hash after it recomputed: the links hold, the checkpoint does not.
        List<AuditChain.StoredEntry> forged = new ArrayList<>(entries.subList(0, 1));
        String previous = forged.get(0).hash();
        for (int seq = 2; seq <= 6; seq++) {
            String content = seq == 2 ? entries.get(1).event().replace("alice", "mallory") : entries.get(seq - 1).event();
            String hash = AuditChain.hash(seq, previous, content);
            forged.add(new AuditChain.StoredEntry(seq, previous, hash, content));
            previous = hash;
        }
        assertThat(AuditChain.verify(forged.iterator(), List.of(at4), keys.getPublic()).problem()).hasValueSatisfying(p -> {
            assertThat(p.seq()).isEqualTo(4);
            assertThat(p.reason()).contains("rewritten and rehashed");
        });
    }

    @Test
    void aCheckpointDroppedFromTheMiddleIsReported() throws Exception {
        KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        List<AuditChain.StoredEntry> entries = chain(6);
        String id = AuditChain.keyId(keys.getPublic());
        AuditChain.SignedCheckpoint first = new AuditChain.Checkpoint(2, entries.get(1).hash(), Instant.now(), "").sign(keys.getPrivate(), id);
        AuditChain.SignedCheckpoint second = new AuditChain.Checkpoint(4, entries.get(3).hash(), Instant.now(), first.signature())
                .sign(keys.getPrivate(), id);
        AuditChain.SignedCheckpoint third = new AuditChain.Checkpoint(6, entries.get(5).hash(), Instant.now(), second.signature())
                .sign(keys.getPrivate(), id);
        assertThat(AuditChain.verify(entries.iterator(), List.of(first, second, third), keys.getPublic()).problem()).isEmpty();
        assertThat(AuditChain.verify(entries.iterator(), List.of(first, third), keys.getPublic()).problem())
                .hasValueSatisfying(p -> assertThat(p.seq()).isEqualTo(6));
        assertThat(AuditChain.SignedCheckpoint.fromJson(second.toJson())).isEqualTo(second);
    }
}
