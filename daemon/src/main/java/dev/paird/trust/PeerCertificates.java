package dev.paird.trust;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * The certificate helpers the trust store needs: fingerprints, subjects and PEM. Kept
 * package-private so that it can be folded into the identity package's certificate helpers.
 */
final class PeerCertificates {
  /** Length of a fingerprint: SHA-256 as lowercase hex. */
  static final int FINGERPRINT_LENGTH = 64;

  private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
  private static final String END = "-----END CERTIFICATE-----";
  private static final Base64.Encoder PEM_BASE64 =
      Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

  private PeerCertificates() {}

  /** SHA-256 of the certificate's DER encoding, as 64 lowercase hex digits. */
  static String fingerprint(X509Certificate certificate) {
    return HexFormat.of().formatHex(sha256(der(certificate)));
  }

  /** The subject distinguished name in RFC 2253 form, exactly as the JDK renders it. */
  static String subject(X509Certificate certificate) {
    return certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
  }

  /** The certificate as one PEM block with 64-character lines, ending in a newline. */
  static String toPem(X509Certificate certificate) {
    return BEGIN + "\n" + PEM_BASE64.encodeToString(der(certificate)) + "\n" + END + "\n";
  }

  /**
   * Parses exactly one PEM certificate block, with nothing but whitespace around it.
   *
   * @throws CertificateException if the text is not one well-formed PEM X.509 certificate
   */
  static X509Certificate fromPem(String pem) throws CertificateException {
    String text = pem.strip();
    if (!text.startsWith(BEGIN) || !text.endsWith(END) || text.length() < BEGIN.length() + END.length()) {
      throw new CertificateException("not a PEM certificate: it must start with " + BEGIN + " and end with " + END);
    }
    String body = text.substring(BEGIN.length(), text.length() - END.length());
    if (body.contains("-----")) {
      throw new CertificateException("more than one PEM block where one certificate was expected");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new CertificateException("the PEM certificate's base64 is malformed", e);
    }
    Certificate parsed =
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    if (!(parsed instanceof X509Certificate)) {
      throw new CertificateException("not an X.509 certificate");
    }
    X509Certificate certificate = (X509Certificate) parsed;
    // The fingerprint is taken over getEncoded(); refuse anything that does not re-encode to the
    // bytes that were written, such as trailing data after the certificate.
    if (!Arrays.equals(der, der(certificate))) {
      throw new CertificateException("the PEM certificate has trailing or non-DER data");
    }
    return certificate;
  }

  /**
   * A fingerprint or fingerprint prefix as a person may type it, lowercased with colons removed;
   * empty if it has any character other than hex digits and colons.
   */
  static Optional<String> normalizeHex(String typed) {
    String hex = typed.replace(":", "").toLowerCase(Locale.ROOT);
    return isLowerHex(hex) ? Optional.of(hex) : Optional.empty();
  }

  /** Whether every character is one of 0-9 and a-f (ASCII only; no other scripts' digits). */
  static boolean isLowerHex(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static byte[] der(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      // A certificate that was parsed or built has an encoding; this cannot happen.
      throw new IllegalStateException("certificate has no DER encoding", e);
    }
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
