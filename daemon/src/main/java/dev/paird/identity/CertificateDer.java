package dev.paird.identity;

import java.security.cert.CertificateException;
import java.util.Arrays;
import java.util.Locale;

/**
 * A cheap check that bytes are shaped as one DER-encoded X.509 certificate, and where its subject
 * is, without the JDK's certificate parser.
 *
 * <p>Checked: the outer {@code SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE,
 * signatureValue BIT STRING }} fills the bytes exactly; the tbsCertificate holds, in order, an
 * optional {@code [0]} version, the serial number (INTEGER), the signature algorithm, issuer,
 * validity, subject and subject public key info (each a SEQUENCE), then at most the optional {@code
 * [1]}, {@code [2]} and {@code [3]} fields, in that order, and nothing else; every length is
 * definite, in DER's shortest form, and ends within its parent. Not checked: what is inside those
 * elements (the subject is a Name only as far as whoever reads it checks it, say {@link
 * javax.security.auth.x500.X500Principal}), nor anything the signature or key would say. So a
 * certificate this accepts may still be refused by the JDK's parser; a trusted list at start-up
 * uses it to know that each entry is a certificate's encoding without parsing 10,000 of them.
 */
public final class CertificateDer {
  private static final int SEQUENCE = 0x30;
  private static final int INTEGER = 0x02;
  private static final int BIT_STRING = 0x03;
  private static final int VERSION = 0xa0;

  private CertificateDer() {}

  /**
   * The DER encoding of the certificate's subject Name, after checking the structure (see the class
   * comment).
   *
   * @throws CertificateException saying which part is not as X.509 has it
   */
  public static byte[] subjectName(byte[] der) throws CertificateException {
    Element subject = check(der)[0];
    return Arrays.copyOfRange(der, subject.start, subject.end);
  }

  /**
   * The DER encoding of the certificate's SubjectPublicKeyInfo, exactly as the certificate holds
   * it, after checking the structure (see the class comment).
   *
   * @throws CertificateException saying which part is not as X.509 has it
   */
  public static byte[] subjectPublicKeyInfo(byte[] der) throws CertificateException {
    Element spki = check(der)[1];
    return Arrays.copyOfRange(der, spki.start, spki.end);
  }

  /** Checks the structure; the subject and subject public key info elements. */
  private static Element[] check(byte[] der) throws CertificateException {
    Element certificate = element(der, 0, der.length, "the certificate");
    if (certificate.tag != SEQUENCE || certificate.end != der.length) {
      throw new CertificateException(
          "not a DER-encoded certificate: it must be one SEQUENCE filling the bytes");
    }
    Element tbs = expect(der, certificate.contents, certificate.end, SEQUENCE, "tbsCertificate");
    Element algorithm = expect(der, tbs.end, certificate.end, SEQUENCE, "signatureAlgorithm");
    Element signature = expect(der, algorithm.end, certificate.end, BIT_STRING, "signatureValue");
    if (signature.end != certificate.end) {
      throw new CertificateException("bytes follow the certificate's signature");
    }
    if (signature.contents == signature.end) {
      throw new CertificateException("the certificate's signature is an empty BIT STRING");
    }
    int at = tbs.contents;
    if (at < tbs.end && (der[at] & 0xff) == VERSION) {
      at = element(der, at, tbs.end, "version").end;
    }
    at = expect(der, at, tbs.end, INTEGER, "serialNumber").end;
    at = expect(der, at, tbs.end, SEQUENCE, "signature").end;
    at = expect(der, at, tbs.end, SEQUENCE, "issuer").end;
    at = expect(der, at, tbs.end, SEQUENCE, "validity").end;
    Element subject = expect(der, at, tbs.end, SEQUENCE, "subject");
    Element spki = expect(der, subject.end, tbs.end, SEQUENCE, "subjectPublicKeyInfo");
    at = spki.end;
    // issuerUniqueID [1], subjectUniqueID [2] (primitive or constructed), extensions [3].
    int lastField = 0;
    while (at < tbs.end) {
      Element optional = element(der, at, tbs.end, "tbsCertificate");
      int field = optional.tag & ~0x20;
      if ((optional.tag & 0xc0) != 0x80 || field < 0x81 || field > 0x83 || field <= lastField) {
        throw new CertificateException(
            String.format(
                Locale.ROOT,
                "unexpected element (tag 0x%02x) in the certificate's tbsCertificate",
                optional.tag));
      }
      lastField = field;
      at = optional.end;
    }
    return new Element[] {subject, spki};
  }

  /** One element's tag and where it starts, its contents start and it ends. */
  record Element(int tag, int start, int contents, int end) {}

  private static Element expect(byte[] der, int at, int limit, int tag, String name)
      throws CertificateException {
    Element element = element(der, at, limit, name);
    if (element.tag != tag) {
      throw new CertificateException(
          String.format(
              Locale.ROOT,
              "the certificate's %s has tag 0x%02x, not 0x%02x",
              name,
              element.tag,
              tag));
    }
    return element;
  }

  /**
   * The element at {@code at}, which must end by {@code limit}, have a one-byte tag and a definite
   * length in DER's shortest form; {@code name} says which, for the message.
   */
  static Element element(byte[] der, int at, int limit, String name) throws CertificateException {
    if (limit - at < 2) {
      throw new CertificateException("the certificate ends where its " + name + " should be");
    }
    int tag = der[at] & 0xff;
    if ((tag & 0x1f) == 0x1f) {
      throw new CertificateException("the certificate's " + name + " has a multi-byte tag");
    }
    int first = der[at + 1] & 0xff;
    int contents = at + 2;
    long length;
    if (first < 0x80) {
      length = first;
    } else {
      int bytes = first & 0x7f;
      if (bytes == 0 || bytes > 4 || contents + bytes > limit) {
        throw new CertificateException(
            "the certificate's " + name + " has an indefinite or unreadable length");
      }
      length = 0;
      for (int i = 0; i < bytes; i++) {
        length = length << 8 | (der[contents + i] & 0xff);
      }
      contents += bytes;
      // DER: the shortest form, so no leading zero byte and no long form below 128.
      if (length < 0x80 || (der[at + 2] & 0xff) == 0) {
        throw new CertificateException(
            "the certificate's " + name + " has a length not in DER's shortest form");
      }
    }
    if (length > limit - contents) {
      throw new CertificateException("the certificate's " + name + " is longer than what holds it");
    }
    return new Element(tag, at, contents, contents + (int) length);
  }
}
