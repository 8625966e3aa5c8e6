package io.pganalytics.fleet.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 4226 Appendix D and RFC 6238 Appendix B, then the product's rules: window, replay, malformed codes. */
class TotpTest {

    static final byte[] SHA1_KEY = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
    static final byte[] SHA256_KEY = "12345678901234567890123456789012".getBytes(StandardCharsets.US_ASCII);
    static final byte[] SHA512_KEY = "1234567890123456789012345678901234567890123456789012345678901234".getBytes(StandardCharsets.US_ASCII);

    @Test
    void hotpMatchesRfc4226AppendixD() {
        List<String> expected = List.of("755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
                "399871", "520489");
        for (int counter = 0; counter < expected.size(); counter++) {
            assertThat(Totp.hotp(SHA1_KEY, counter, 6, "HmacSHA1")).as("counter %d", counter).isEqualTo(expected.get(counter));
        }
    }

    @Test
    void totpMatchesRfc6238AppendixB() {
        long[] times = {59L, 1111111109L, 1111111111L, 1234567890L, 2000000000L, 20000000000L};
        String[][] expected = {
            {"94287082", "46119246", "90693936"},
            {"07081804", "68084774", "25091201"},
            {"14050471", "67062674", "99943326"},
            {"89005924", "91819424", "93441116"},
            {"69279037", "90698825", "38618901"},
            {"65353130", "77737706", "47863826"},
        };
        for (int i = 0; i < times.length; i++) {
            long step = Totp.step(Instant.ofEpochSecond(times[i]));
            assertThat(Totp.hotp(SHA1_KEY, step, 8, "HmacSHA1")).as("SHA1 at %d", times[i]).isEqualTo(expected[i][0]);
            assertThat(Totp.hotp(SHA256_KEY, step, 8, "HmacSHA256")).as("SHA256 at %d", times[i]).isEqualTo(expected[i][1]);
            assertThat(Totp.hotp(SHA512_KEY, step, 8, "HmacSHA512")).as("SHA512 at %d", times[i]).isEqualTo(expected[i][2]);
        }
    }

    @Test
    void codesOfTheStepsBesideNowAreAcceptedAndTwoStepsAwayAreNot() {
        Instant now = Instant.ofEpochSecond(1_700_000_015L);
        long step = Totp.step(now);
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step), now, 0)).hasValue(step);
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step - 1), now, 0)).hasValue(step - 1);
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step + 1), now, 0)).hasValue(step + 1);
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step - 2), now, 0)).isEmpty();
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step + 2), now, 0)).isEmpty();
    }

    @Test
    void aStepAlreadyUsedOrEarlierIsRefused() {
        Instant now = Instant.ofEpochSecond(1_700_000_015L);
        long step = Totp.step(now);
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step), now, step)).isEmpty();
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step - 1), now, step)).isEmpty();
        assertThat(Totp.verify(SHA1_KEY, Totp.code(SHA1_KEY, step + 1), now, step)).hasValue(step + 1);
    }

    @Test
    void malformedCodesAreRefusedWithoutAnException() {
        Instant now = Instant.ofEpochSecond(1_700_000_015L);
        String good = Totp.code(SHA1_KEY, Totp.step(now));
        for (String bad : new String[] {null, "", "12345", "1234567", "abcdef", "12 34", "１２３４５６"}) {
            assertThat(Totp.verify(SHA1_KEY, bad, now, 0)).as(String.valueOf(bad)).isEmpty();
        }
        assertThat(Totp.verify(SHA1_KEY, good.substring(0, 3) + " " + good.substring(3), now, 0)).isPresent();
    }

    @Test
    void theEnrolmentUriIsWhatAuthenticatorAppsRead() {
        assertThat(Totp.base32("foobar".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MZXW6YTBOI");
        assertThat(Totp.base32("f".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MY");
        assertThat(Totp.otpauthUri("pgAnalytics", "alice@example.com", "foobar".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("otpauth://totp/pgAnalytics:alice%40example.com?secret=MZXW6YTBOI&issuer=pgAnalytics"
                        + "&algorithm=SHA1&digits=6&period=30");
        assertThat(Totp.otpauthUri("pg Analytics", "bob", SHA1_KEY)).startsWith("otpauth://totp/pg%20Analytics:bob?secret=");
    }
}
