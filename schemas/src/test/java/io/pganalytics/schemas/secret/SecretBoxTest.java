package io.pganalytics.schemas.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class SecretBoxTest {

    private static final String K1 = SecretBox.generateKey("k1");
    private static final String K2 = SecretBox.generateKey("k2");

    @Test
    void encryptedSecretDecryptsToTheSameTextAndNamesItsKey() {
        SecretBox box = SecretBox.parse(K1);
        String sealed = box.encrypt("s3cr3t-pässword");
        assertThat(sealed).startsWith("v1:k1:").doesNotContain("s3cr3t");
        assertThat(SecretBox.keyIdOf(sealed)).isEqualTo("k1");
        assertThat(box.decrypt(sealed)).isEqualTo("s3cr3t-pässword");
    }

    @Test
    void aSecretBoundToARecordDecryptsOnlyForThatRecord() {
        SecretBox box = SecretBox.parse(SecretBox.generateKey("k1"));
        String sealed = box.encrypt("s3cret", "target:orders-db");

        assertThat(sealed).startsWith("v2:k1:");
        assertThat(SecretBox.keyIdOf(sealed)).isEqualTo("k1");
        assertThat(box.decrypt(sealed, "target:orders-db")).isEqualTo("s3cret");
        assertThatThrownBy(() -> box.decrypt(sealed, "target:billing-db"))
                .isInstanceOf(SecretBox.Undecryptable.class).hasMessageContaining("moved from another record");
        assertThatThrownBy(() -> box.decrypt(sealed)).isInstanceOf(SecretBox.Undecryptable.class)
                .hasMessageContaining("bound to a record");
        // What was written before binding stays readable where a context is given.
        assertThat(box.decrypt(box.encrypt("old"), "target:orders-db")).isEqualTo("old");
    }

    @Test
    void everyEncryptionUsesAFreshIv() {
        SecretBox box = SecretBox.parse(K1);
        assertThat(box.encrypt("same")).isNotEqualTo(box.encrypt("same"));
    }

    @Test
    void theFirstKeyEncryptsAndEveryKeyDecryptsSoKeysCanRotate() {
        String sealedUnderOld = SecretBox.parse(K1).encrypt("pw");
        SecretBox rotated = SecretBox.parse(K2 + ", " + K1);
        assertThat(rotated.encryptingKeyId()).isEqualTo("k2");
        assertThat(rotated.decrypt(sealedUnderOld)).isEqualTo("pw");
        assertThat(rotated.encrypt("pw")).startsWith("v1:k2:");
    }

    @Test
    void aSecretUnderAMissingKeyIsRefusedNamingTheKeyId() {
        String sealed = SecretBox.parse(K2).encrypt("pw");
        assertThatThrownBy(() -> SecretBox.parse(K1).decrypt(sealed))
                .isInstanceOf(SecretBox.Undecryptable.class)
                .hasMessage("encrypted with key 'k2', which fleet.secret.keys does not have (it has k1)");
    }

    @Test
    void alteredCiphertextIsRejected() {
        SecretBox box = SecretBox.parse(K1);
        String sealed = box.encrypt("pw");
        byte[] body = Base64.getDecoder().decode(sealed.substring("v1:k1:".length()));
        body[body.length - 1] ^= 1;
        String tampered = "v1:k1:" + Base64.getEncoder().encodeToString(body);
        assertThatThrownBy(() -> box.decrypt(tampered)).isInstanceOf(SecretBox.Undecryptable.class)
                .hasMessageContaining("does not authenticate with key 'k1'");
    }

    @Test
    void aKeyIdSwappedOnACiphertextIsRejected() {
        String k1Bytes = K1.substring(3);
        SecretBox box = SecretBox.parse(K1 + ",other:" + k1Bytes);
        String sealed = box.encrypt("pw");
        assertThatThrownBy(() -> box.decrypt(sealed.replace("v1:k1:", "v1:other:")))
                .isInstanceOf(SecretBox.Undecryptable.class).hasMessageContaining("'other'");
    }

    @Test
    void somethingThatIsNotACiphertextIsRefused() {
        SecretBox box = SecretBox.parse(K1);
        assertThatThrownBy(() -> box.decrypt("plain-password")).isInstanceOf(SecretBox.Undecryptable.class)
                .hasMessage("not an encrypted secret (expected v1 or v2:<keyId>:<base64>)");
        assertThatThrownBy(() -> box.decrypt("v1:k1:AAAA")).hasMessageContaining("too short");
        assertThatThrownBy(() -> box.decrypt("v1:k1:***")).hasMessageContaining("not valid base64");
    }

    @Test
    void badKeyListsAreNamedByPositionWithoutShowingTheKey() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> SecretBox.parse("k1:" + shortKey))
                .hasMessage("fleet.secret.keys[0] (key id 'k1'): expected a 256-bit key (32 bytes, 44 base64 characters), got 16 bytes")
                .hasMessageNotContaining(shortKey);
        assertThatThrownBy(() -> SecretBox.parse(K1 + ",nokey")).hasMessage("fleet.secret.keys[1]: expected keyId:base64Key");
        assertThatThrownBy(() -> SecretBox.parse(K1 + "," + K1)).hasMessage("fleet.secret.keys[1]: key id 'k1' appears twice");
        assertThatThrownBy(() -> SecretBox.parse("k1:not base64!")).hasMessage("fleet.secret.keys[0] (key id 'k1'): the key is not valid base64");
        assertThatThrownBy(() -> SecretBox.parse(" ")).hasMessageStartingWith("fleet.secret.keys: required");
    }

    @Test
    void toStringNamesKeyIdsButNeverKeys() {
        SecretBox box = SecretBox.parse(K1 + "," + K2);
        assertThat(box.toString()).isEqualTo("SecretBox[keys=[k1, k2], encrypting with k1]")
                .doesNotContain(K1.substring(3)).doesNotContain(K2.substring(3));
        assertThat(box.keyIds()).containsExactly("k1", "k2");
    }
}
