package io.pganalytics.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.secret.SecretBox;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackupEncryptionTest {

    private static final String K1 = SecretBox.generateKey("k1");
    private static final String K2 = SecretBox.generateKey("k2");
    private static final String KEY = "backups/pga.raw.database/dt=2026-12-03/hour=10/pga.raw.database+0+42.avro";
    private static final byte[] PLAIN = "Obj\u0001 the records of one object".getBytes(StandardCharsets.UTF_8);

    @Test
    void anObjectIsCiphertextUnderAFreshDataKeyAndOpensWithTheRing() {
        BackupEncryption ring = BackupEncryption.of(K1);
        BackupEncryption.Sealed one = ring.seal(KEY, PLAIN, Map.of(BackupFormat.META_SHA256, "abc"));
        BackupEncryption.Sealed two = ring.seal(KEY, PLAIN, Map.of());
        assertThat(new String(one.content(), StandardCharsets.ISO_8859_1)).doesNotContain("records of one object");
        assertThat(one.content()).isNotEqualTo(two.content());
        assertThat(one.metadata()).containsEntry(BackupEncryption.META_KEY_ID, "k1").containsEntry(BackupFormat.META_SHA256, "abc")
                .containsEntry(BackupEncryption.META_ENCRYPTION, BackupEncryption.SCHEME);
        assertThat(one.metadata().get(BackupEncryption.META_DATA_KEY)).doesNotContain(K1.substring(3));
        assertThat(BackupEncryption.open(ring, KEY, one.content(), one.metadata())).isEqualTo(PLAIN);
    }

    @Test
    void aPlaintextObjectIsReadAsItIsWithOrWithoutARing() {
        assertThat(BackupEncryption.open(null, KEY, PLAIN, Map.of())).isEqualTo(PLAIN);
        assertThat(BackupEncryption.open(BackupEncryption.of(K1), KEY, PLAIN, Map.of())).isEqualTo(PLAIN);
    }

    @Test
    void aMissingWrongOrAlteredKeyOrContentIsNamed() {
        BackupEncryption.Sealed sealed = BackupEncryption.of(K1).seal(KEY, PLAIN, Map.of());
        assertThatThrownBy(() -> BackupEncryption.open(null, KEY, sealed.content(), sealed.metadata()))
                .hasMessageContaining("sealed with key 'k1'").hasMessageContaining(S3Connection.ENCRYPTION_KEYS);
        assertThatThrownBy(() -> BackupEncryption.open(BackupEncryption.of(K2), KEY, sealed.content(), sealed.metadata()))
                .hasMessageContaining("which " + S3Connection.ENCRYPTION_KEYS + " does not have (it has k2)");
        assertThatThrownBy(() -> BackupEncryption.open(BackupEncryption.of(SecretBox.generateKey("k1")), KEY, sealed.content(),
                sealed.metadata())).hasMessageContaining("does not open with key 'k1'");
        byte[] altered = sealed.content().clone();
        altered[20] ^= 1;
        assertThatThrownBy(() -> BackupEncryption.open(BackupEncryption.of(K1), KEY, altered, sealed.metadata()))
                .hasMessageContaining("corrupt object " + KEY);
        // Renamed onto another object's key: the name is authenticated with both the data and the data key.
        assertThatThrownBy(() -> BackupEncryption.open(BackupEncryption.of(K1), KEY + ".copy", sealed.content(), sealed.metadata()))
                .isInstanceOf(BackupEncryption.Undecryptable.class);
    }

    @Test
    void rewrappingSealsTheDataKeyWithTheNewFirstKeyAndLeavesTheDataAlone() {
        BackupEncryption.Sealed sealed = BackupEncryption.of(K1).seal(KEY, PLAIN, Map.of());
        BackupEncryption rotated = BackupEncryption.of(K2 + "," + K1);
        Map<String, String> rewrapped = rotated.rewrapped(KEY, sealed.metadata());
        assertThat(rewrapped).containsEntry(BackupEncryption.META_KEY_ID, "k2");
        assertThat(BackupEncryption.open(BackupEncryption.of(K2), KEY, sealed.content(), rewrapped)).isEqualTo(PLAIN);
        assertThat(rotated.rewrapped(KEY, rewrapped)).isSameAs(rewrapped);
    }

    @Test
    void aBadRingIsAConfigurationErrorNamingItsKey() {
        assertThatThrownBy(() -> BackupEncryption.of("k1:not-base64!")).isInstanceOf(InvalidValue.class)
                .hasMessageContaining(S3Connection.ENCRYPTION_KEYS);
    }
}
