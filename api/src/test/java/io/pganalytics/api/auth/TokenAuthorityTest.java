package io.pganalytics.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.fleet.admin.Accounts;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The access-token attacks of issue 15, each refused by {@link TokenAuthority#verify}: tokens are built by hand here
 * (header and payload as JSON, signed with the JDK), so that every field can be what an attacker makes it.
 */
class TokenAuthorityTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    static final KeyPair KEY = ed25519();
    static final Accounts.SigningKey SIGNING = new Accounts.SigningKey("k-test", "EdDSA", KEY.getPublic(), KEY.getPrivate(), NOW);
    static final Accounts.User ALICE = new Accounts.User("alice", "user", false, 3, NOW, NOW, "test", NOW, false, "local");

    final TokenAuthority authority = authority(Clock.fixed(NOW, ZoneOffset.UTC));

    static TokenAuthority authority(Clock clock) {
        TokenAuthority.Reloading ring = TokenAuthority.KeyRing.reloading(() -> List.of(SIGNING), clock);
        return new TokenAuthority(TokenSettings.DEFAULT, ring, clock);
    }

    static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Object> header() {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "EdDSA");
        header.put("kid", "k-test");
        header.put("typ", "at+jwt");
        return header;
    }

    static Map<String, Object> claims() {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", "pganalytics");
        claims.put("aud", "pganalytics-api");
        claims.put("sub", "alice");
        claims.put("jti", "6f1c1c1e-0000-4000-8000-000000000001");
        claims.put("iat", NOW.getEpochSecond());
        claims.put("nbf", NOW.getEpochSecond());
        claims.put("exp", NOW.plus(Duration.ofMinutes(15)).getEpochSecond());
        claims.put("typ", "access");
        claims.put("role", "user");
        claims.put("sep", 3);
        claims.put("fam", "0c6f0000-0000-4000-8000-000000000002");
        return claims;
    }

    static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String unsigned(Map<String, Object> header, Map<String, Object> claims) throws Exception {
        return b64(JSON.writeValueAsBytes(header)) + "." + b64(JSON.writeValueAsBytes(claims));
    }

    static String signEd25519(Map<String, Object> header, Map<String, Object> claims, PrivateKey key) throws Exception {
        String input = unsigned(header, claims);
        Signature signature = Signature.getInstance("Ed25519");
        signature.initSign(key);
        signature.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64(signature.sign());
    }

    static String signed(Map<String, Object> header, Map<String, Object> claims) throws Exception {
        return signEd25519(header, claims, KEY.getPrivate());
    }

    @Test
    void aTokenItIssuedVerifiesWithEveryClaim() {
        TokenAuthority.Issued issued = authority.issue(ALICE, "fam-1");
        assertThat(authority.verify(issued.token())).hasValueSatisfying(v -> {
            assertThat(v.subject()).isEqualTo("alice");
            assertThat(v.tokenId()).isEqualTo(issued.tokenId());
            assertThat(v.family()).isEqualTo("fam-1");
            assertThat(v.sessionEpoch()).isEqualTo(3);
            assertThat(v.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(15)));
        });
    }

    @Test
    void aHandBuiltTokenOfTheRightShapeVerifies() throws Exception {
        // The baseline of every attack below: only the one thing each changes makes it fail.
        assertThat(authority.verify(signed(header(), claims()))).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "None", "NONE", "nOnE"})
    void algNoneInAnyLetterCaseIsRefused(String alg) throws Exception {
        Map<String, Object> header = header();
        header.put("alg", alg);
        assertThat(authority.verify(unsigned(header, claims()) + ".")).isEmpty();
        assertThat(authority.verify(unsigned(header, claims()))).isEmpty();
        // none with a valid EdDSA signature attached does not help either
        String signed = signed(header(), claims());
        assertThat(authority.verify(unsigned(header, claims()) + signed.substring(signed.lastIndexOf('.')))).isEmpty();
    }

    @Test
    void aMissingAlgIsRefused() throws Exception {
        Map<String, Object> header = header();
        header.remove("alg");
        assertThat(authority.verify(signed(header, claims()))).isEmpty();
    }

    @Test
    void hs256SignedWithThePublicKeyIsRefused() throws Exception {
        Map<String, Object> header = header();
        header.put("alg", "HS256");
        String input = unsigned(header, claims());
        for (byte[] secret : List.of(KEY.getPublic().getEncoded(), Base64.getEncoder().encode(KEY.getPublic().getEncoded()))) {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            String token = input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
            assertThat(authority.verify(token)).isEmpty();
        }
    }

    @Test
    void anAlgorithmOtherThanThePinnedOneIsRefused() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair other = ec.generateKeyPair();
        Map<String, Object> header = header();
        header.put("alg", "ES256");
        String input = unsigned(header, claims());
        Signature signature = Signature.getInstance("SHA256withECDSAinP1363Format");
        signature.initSign(other.getPrivate());
        signature.update(input.getBytes(StandardCharsets.US_ASCII));
        assertThat(authority.verify(input + "." + b64(signature.sign()))).isEmpty();
        // and Ed25519 under another name
        header.put("alg", "Ed25519");
        assertThat(authority.verify(signed(header, claims()))).isEmpty();
    }

    @Test
    void aStrippedOrAlteredSignatureIsRefused() throws Exception {
        String token = signed(header(), claims());
        String withoutSignature = token.substring(0, token.lastIndexOf('.') + 1);
        assertThat(authority.verify(withoutSignature)).isEmpty();
        assertThat(authority.verify(withoutSignature.substring(0, withoutSignature.length() - 1))).isEmpty();
        char[] chars = token.toCharArray();
        int last = chars.length - 5;
        chars[last] = chars[last] == 'A' ? 'B' : 'A';
        assertThat(authority.verify(new String(chars))).isEmpty();
        // a payload changed under the original signature (sub: admin)
        Map<String, Object> claims = claims();
        claims.put("sub", "admin");
        String forged = unsigned(header(), claims) + token.substring(token.lastIndexOf('.'));
        assertThat(authority.verify(forged)).isEmpty();
        // signed by another Ed25519 key under our kid
        assertThat(authority.verify(signEd25519(header(), claims(), ed25519().getPrivate()))).isEmpty();
    }

    @Test
    void expiryIsCheckedAtTheSkewBoundary() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("iat", NOW.minus(Duration.ofMinutes(20)).getEpochSecond());
        claims.put("nbf", NOW.minus(Duration.ofMinutes(20)).getEpochSecond());
        claims.put("exp", NOW.minusSeconds(TokenAuthority.CLOCK_SKEW_SECONDS - 1).getEpochSecond());
        assertThat(authority.verify(signed(header(), claims))).as("expired within the skew").isPresent();
        claims.put("exp", NOW.minusSeconds(TokenAuthority.CLOCK_SKEW_SECONDS + 1).getEpochSecond());
        assertThat(authority.verify(signed(header(), claims))).as("expired beyond the skew").isEmpty();
    }

    @Test
    void notYetValidIsCheckedAtTheSkewBoundary() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("nbf", NOW.plusSeconds(TokenAuthority.CLOCK_SKEW_SECONDS - 1).getEpochSecond());
        assertThat(authority.verify(signed(header(), claims))).as("valid within the skew").isPresent();
        claims.put("nbf", NOW.plusSeconds(TokenAuthority.CLOCK_SKEW_SECONDS + 1).getEpochSecond());
        assertThat(authority.verify(signed(header(), claims))).as("not yet valid").isEmpty();
        claims.put("nbf", NOW.getEpochSecond());
        claims.put("iat", NOW.plusSeconds(TokenAuthority.CLOCK_SKEW_SECONDS + 1).getEpochSecond());
        assertThat(authority.verify(signed(header(), claims))).as("issued in the future").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"exp", "iat", "sub", "jti", "iss", "aud", "typ", "sep", "fam"})
    void aTokenWithoutARequiredClaimIsRefused(String claim) throws Exception {
        Map<String, Object> claims = claims();
        claims.remove(claim);
        assertThat(authority.verify(signed(header(), claims))).isEmpty();
    }

    @Test
    void wrongIssuerAudienceOrTypeIsRefused() throws Exception {
        for (Map.Entry<String, Object> wrong : List.of(Map.entry("iss", (Object) "someone-else"),
                Map.entry("aud", (Object) "another-api"), Map.entry("aud", (Object) List.of("another-api")),
                Map.entry("typ", (Object) "refresh"), Map.entry("sep", (Object) "3"))) {
            Map<String, Object> claims = claims();
            claims.put(wrong.getKey(), wrong.getValue());
            assertThat(authority.verify(signed(header(), claims))).as(wrong.toString()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"k-unknown", "../../../../etc/passwd", "' OR '1'='1", "k-test\u0000"})
    void anUnknownOrInjectedKidIsRefused(String kid) throws Exception {
        Map<String, Object> header = header();
        header.put("kid", kid);
        assertThat(authority.verify(signed(header, claims()))).isEmpty();
    }

    @Test
    void aMissingKidIsRefused() throws Exception {
        Map<String, Object> header = header();
        header.remove("kid");
        assertThat(authority.verify(signed(header, claims()))).isEmpty();
    }

    @Test
    void headersNamingTheirOwnKeyAreRefused() throws Exception {
        byte[] raw = KEY.getPublic().getEncoded();
        String x = b64(java.util.Arrays.copyOfRange(raw, raw.length - 32, raw.length));
        for (Map.Entry<String, Object> extra : List.of(
                Map.entry("jku", (Object) "https://attacker.example/jwks.json"),
                Map.entry("x5u", (Object) "https://attacker.example/cert.pem"),
                Map.entry("jwk", (Object) Map.of("kty", "OKP", "crv", "Ed25519", "x", x)),
                Map.entry("crit", (Object) List.of("exp")))) {
            Map<String, Object> header = header();
            header.put(extra.getKey(), extra.getValue());
            assertThat(authority.verify(signed(header, claims()))).as(extra.getKey()).isEmpty();
        }
    }

    @Test
    void anOversizedTokenIsRefusedBeforeItIsDecoded() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("padding", "x".repeat(TokenAuthority.MAX_TOKEN_CHARS));
        assertThat(authority.verify(signed(header(), claims))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a.b.c", "pga_rt_abc", "eyJhbGciOiJFZERTQSJ9", "eyJ.eyJ.eyJ"})
    void garbageIsRefusedWithoutAnException(String token) {
        assertThat(authority.verify(token)).isEmpty();
    }

    @Test
    void aCompressedOrEncryptedTokenIsRefused() throws Exception {
        Map<String, Object> header = header();
        header.put("zip", "DEF");
        assertThat(authority.verify(signed(header, claims()))).isEmpty();
        Map<String, Object> jwe = new LinkedHashMap<>(Map.of("alg", "dir", "enc", "A256GCM", "kid", "k-test"));
        assertThat(authority.verify(b64(JSON.writeValueAsBytes(jwe)) + ".." + b64(new byte[12]) + "." + b64(new byte[16]) + "."
                + b64(new byte[16]))).isEmpty();
    }

    @Test
    void theJwkSetHoldsThePublicKeyThatVerifies() throws Exception {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> keys = (List<Map<String, Object>>) authority.jwks().get("keys");
        assertThat(keys).singleElement().satisfies(jwk -> {
            assertThat(jwk).containsEntry("kty", "OKP").containsEntry("crv", "Ed25519").containsEntry("kid", "k-test")
                    .containsEntry("alg", "EdDSA").doesNotContainKey("d");
        });
        // A client verifies a token with nothing but the JWK: rebuild the key from x and check the signature.
        byte[] x = Base64.getUrlDecoder().decode((String) keys.get(0).get("x"));
        byte[] prefix = java.util.Arrays.copyOf(KEY.getPublic().getEncoded(), 12);
        byte[] spki = new byte[44];
        System.arraycopy(prefix, 0, spki, 0, 12);
        System.arraycopy(x, 0, spki, 12, 32);
        var publicKey = java.security.KeyFactory.getInstance("Ed25519").generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
        String token = authority.issue(ALICE, "fam").token();
        Signature verify = Signature.getInstance("Ed25519");
        verify.initVerify(publicKey);
        verify.update(token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII));
        assertThat(verify.verify(Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1)))).isTrue();
    }
}
