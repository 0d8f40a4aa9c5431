package dev.paird.hostile;

import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's own TLS (SunJSSE), set up as a pairing peer must be: TLS 1.3 only, ALPN {@code
 * paird/1}, this side's certificate and key from the PEM files openssl wrote, and any peer
 * certificate accepted, because the pairing protocol, not TLS, judges certificates. Used both for
 * the hostile client and for the fake servers, so neither shares code with paird.
 */
final class JdkTls {
  static final String TLS13 = "TLSv1.3";
  static final String ALPN = "paird/1";
  private static final char[] NO_PASSWORD = new char[0];

  private JdkTls() {}

  /** A TLS 1.3 context presenting {@code identity} (an EC P-256 key in PKCS#8 PEM). */
  static SSLContext context(SelfSigned identity) {
    return context(identity, identity);
  }

  /**
   * A context presenting {@code certificate}'s certificate with {@code key}'s private key: what
   * someone holding only a device's public certificate (trusted.pem is world-readable) can offer.
   * With {@code certificate == key} it is the device itself.
   */
  static SSLContext context(SelfSigned certificate, SelfSigned key) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "device", privateKey(key), NO_PASSWORD, new Certificate[] {certificate(certificate)});
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, NO_PASSWORD);
      SSLContext context = SSLContext.getInstance(TLS13);
      context.init(keys.getKeyManagers(), new TrustManager[] {TRUST_ANYTHING}, new SecureRandom());
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a TLS context from " + certificate, e);
    }
  }

  /** A context with no certificate of its own: a client that cannot answer a CertificateRequest. */
  static SSLContext withoutCertificate() {
    try {
      SSLContext context = SSLContext.getInstance(TLS13);
      context.init(null, new TrustManager[] {TRUST_ANYTHING}, new SecureRandom());
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** TLS 1.3 only, offering or accepting exactly {@code paird/1}. */
  static SSLParameters parameters(SSLParameters defaults) {
    defaults.setProtocols(new String[] {TLS13});
    defaults.setApplicationProtocols(new String[] {ALPN});
    return defaults;
  }

  private static PrivateKey privateKey(SelfSigned identity)
      throws IOException, GeneralSecurityException {
    String pem = Files.readString(identity.key(), StandardCharsets.US_ASCII);
    String base64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    // EC or RSA, as the key's own certificate says.
    return KeyFactory.getInstance(certificate(identity).getPublicKey().getAlgorithm())
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  private static X509Certificate certificate(SelfSigned identity)
      throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(identity.cert())) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /**
   * Accepts every certificate, on both sides. An X509ExtendedTrustManager, so that SunJSSE does not
   * wrap it with host-name and algorithm checks of its own.
   */
  private static final X509ExtendedTrustManager TRUST_ANYTHING =
      new X509ExtendedTrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(
            X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(
            X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      };
}
