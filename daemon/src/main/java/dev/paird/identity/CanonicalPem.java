package dev.paird.identity;

import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * PEM text exactly as paird writes it ({@link Certificates#pem}): one block, base64 in lines of 64,
 * a newline after every line and nothing else. Such text is decoded here with the JDK alone;
 * anything else goes to BouncyCastle's general reader ({@link PemBlocks}), which also says what is
 * wrong with it. paird reads its own identity at every start, and a trusted list holds thousands of
 * certificates: this way neither loads BouncyCastle's PEM and ASN.1 classes (about 150, each
 * resident for good through the class-data archive) nor builds BouncyCastle's structure of each
 * certificate. The same JDK classes decide in both ways whether the bytes are a certificate or a
 * key, so nothing accepted here would be refused there.
 */
final class CanonicalPem {
  private CanonicalPem() {}

  /**
   * The DER bytes of {@code text} if it is exactly one block labelled {@code label} as paird writes
   * it, else null. The caller wipes them when they are a key's.
   */
  static byte[] der(String text, String label) {
    String begin = "-----BEGIN " + label + "-----\n";
    String end = "\n-----END " + label + "-----\n";
    if (text.length() <= begin.length() + end.length()
        || !text.startsWith(begin)
        || !text.endsWith(end)) {
      return null;
    }
    byte[] der;
    try {
      der =
          Base64.getMimeDecoder()
              .decode(text.substring(begin.length(), text.length() - end.length()));
    } catch (IllegalArgumentException e) {
      return null;
    }
    // The MIME decoder skips what is not base64: only the exact encoding of these bytes counts.
    byte[] again = Certificates.pem(label, der);
    boolean same = again.length == text.length();
    for (int i = 0; same && i < again.length; i++) {
      same = again[i] == text.charAt(i);
    }
    Arrays.fill(again, (byte) 0);
    if (!same) {
      Arrays.fill(der, (byte) 0);
      return null;
    }
    return der;
  }

  /**
   * The one block of {@code text} if it is a certificate or an unencrypted PKCS#8 EC or RSA key as
   * paird writes them and the JDK decodes it; else null.
   */
  static PemBlock block(String text) {
    byte[] der = der(text, "CERTIFICATE");
    if (der != null) {
      try {
        return new PemBlock.Certificate(Certificates.fromDer(der));
      } catch (CertificateException e) {
        return null;
      }
    }
    der = der(text, "PRIVATE KEY");
    if (der == null) {
      return null;
    }
    try {
      return new PemBlock.Key(privateKey(der));
    } catch (InvalidKeySpecException | NoSuchAlgorithmException e) {
      return null;
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** A PKCS#8 key of one of the algorithms a device identity may have, decoded by the JDK. */
  private static java.security.PrivateKey privateKey(byte[] pkcs8)
      throws InvalidKeySpecException, NoSuchAlgorithmException {
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (InvalidKeySpecException notEc) {
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }
  }
}
