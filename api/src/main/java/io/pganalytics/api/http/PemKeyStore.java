package io.pganalytics.api.http;

import io.pganalytics.config.InvalidValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API listener's key and certificate chain, read from PEM files (what certificate authorities and cert-manager
 * hand out) into an in-memory key store for Jetty: the private key as PKCS#8 ({@code BEGIN PRIVATE KEY}; RSA, EC or
 * Ed25519), the chain leaf first.
 */
public final class PemKeyStore {

    /** The password of the in-memory store; it never leaves this process. */
    public static final String PASSWORD = "pganalytics-in-memory";
    private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----");

    private PemKeyStore() {
    }

    /** A PKCS#12 key store holding the key of {@code keyFile} with the chain of {@code certificateFile}. */
    public static KeyStore load(Path certificateFile, Path keyFile, String certificateKey, String keyKey) {
        List<? extends Certificate> chain;
        try {
            chain = List.copyOf(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certificateFile))));
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidValue(certificateKey, "cannot read a PEM certificate chain from " + certificateFile + " (" + e.getMessage() + ")");
        }
        if (chain.isEmpty()) {
            throw new InvalidValue(certificateKey, "no certificate in " + certificateFile);
        }
        PrivateKey key = privateKey(keyFile, keyKey, chain.get(0).getPublicKey().getAlgorithm());
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("api", key, PASSWORD.toCharArray(), chain.toArray(Certificate[]::new));
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidValue(keyKey, "the key of " + keyFile + " does not go with the certificate of " + certificateFile
                    + " (" + e.getMessage() + ")");
        }
    }

    private static PrivateKey privateKey(Path keyFile, String keyKey, String algorithm) {
        String pem;
        try {
            pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new InvalidValue(keyKey, "cannot read " + keyFile + " (" + e.getClass().getSimpleName() + ")");
        }
        Matcher m = KEY.matcher(pem);
        if (!m.find()) {
            throw new InvalidValue(keyKey, keyFile + " holds no PKCS#8 key (BEGIN PRIVATE KEY); convert one with "
                    + "`openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(m.group(1));
            return KeyFactory.getInstance(algorithm.equals("EdDSA") ? "Ed25519" : algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new InvalidValue(keyKey, "cannot read the " + algorithm + " key of " + keyFile + " (" + e.getMessage() + ")");
        }
    }
}
