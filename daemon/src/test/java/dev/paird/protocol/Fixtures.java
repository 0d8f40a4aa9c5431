package dev.paird.protocol;

import dev.paird.identity.Certificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;

/** The fixed certificates of the worked example in docs/PROTOCOL.md. */
final class Fixtures {
  static final byte[] CLIENT_DER = der("/protocol/client.pem");
  static final byte[] SERVER_DER = der("/protocol/server.pem");

  /** As both sides see them when nobody is in the middle. */
  static final SessionCertificates HONEST = SessionCertificates.of(CLIENT_DER, SERVER_DER);

  private Fixtures() {}

  static String resource(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] der(String name) {
    try {
      return Certificates.parsePem(resource(name)).getEncoded();
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }
}
