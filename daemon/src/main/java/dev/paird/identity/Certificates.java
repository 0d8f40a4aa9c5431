package dev.paird.identity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encoding;

/**
 * Conversions of X.509 certificates between DER, PEM and the names paird shows for them.
 *
 * <p>A certificate's fingerprint is the SHA-256 hash of its DER encoding in lowercase hex, the same
 * value {@code openssl x509 -noout -fingerprint -sha256} prints, without the colons.
 */
public final class Certificates {
  private static final Base64.Encoder PEM_BASE64 =
      Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

  private Certificates() {}

  /** The SHA-256 fingerprint of the certificate's DER encoding: 64 lowercase hex digits. */
  public static String fingerprint(X509Certificate certificate) {
    return fingerprint(der(certificate));
  }

  /** The SHA-256 fingerprint of a DER-encoded certificate: 64 lowercase hex digits. */
  public static String fingerprint(byte[] der) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /**
   * Whether nothing in the certificate forbids it to sign other certificates: it has no
   * basicConstraints saying CA:FALSE and no keyUsage without keyCertSign (a version 1 certificate
   * has neither). Software that takes a listed certificate as a trust anchor (OpenSSL's CAfile and
   * CApath, Java's PKIX) also accepts, for most such certificates, what their key signs; paird
   * itself trusts only the certificate. Errs towards true: OpenSSL takes a version 3 certificate
   * with neither extension for no CA, Java may.
   *
   * @throws IllegalArgumentException if the bytes are not a certificate
   */
  public static boolean maySign(byte[] der) {
    org.bouncycastle.asn1.x509.Extensions extensions;
    try {
      extensions =
          org.bouncycastle.asn1.x509.Certificate.getInstance(der)
              .getTBSCertificate()
              .getExtensions();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a readable certificate", e);
    }
    if (extensions == null) {
      return true;
    }
    org.bouncycastle.asn1.x509.KeyUsage usage =
        org.bouncycastle.asn1.x509.KeyUsage.fromExtensions(extensions);
    if (usage != null && !usage.hasUsages(org.bouncycastle.asn1.x509.KeyUsage.keyCertSign)) {
      return false;
    }
    org.bouncycastle.asn1.x509.BasicConstraints constraints =
        org.bouncycastle.asn1.x509.BasicConstraints.fromExtensions(extensions);
    return constraints == null || constraints.isCA();
  }

  /**
   * The pin of the certificate's public key as curl's {@code --pinnedpubkey} takes it: {@code
   * sha256//} and the base64 of the SHA-256 of its DER SubjectPublicKeyInfo, exactly as the
   * certificate encodes it (HPKP's pin-sha256, RFC 7469).
   */
  public static String spkiPin(X509Certificate certificate) {
    return spkiPin(der(certificate));
  }

  /**
   * {@link #spkiPin(X509Certificate)} of a DER-encoded certificate, from the bytes as they are
   * ({@link CertificateDer}) if they pass its check: a trusted list's peers are not parsed to list
   * them. Bytes it refuses are read with Bouncy Castle, which re-encodes the key info.
   *
   * @throws IllegalArgumentException if the bytes are not a certificate
   */
  public static String spkiPin(byte[] der) {
    byte[] spki;
    try {
      spki = CertificateDer.subjectPublicKeyInfo(der);
    } catch (CertificateException notShaped) {
      try {
        spki =
            org.bouncycastle.asn1.x509.Certificate.getInstance(der)
                .getSubjectPublicKeyInfo()
                .getEncoded(ASN1Encoding.DER);
      } catch (IOException | IllegalArgumentException e) {
        throw new IllegalArgumentException("certificate has no readable public key", e);
      }
    }
    try {
      return "sha256//"
          + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The certificate as one PEM block, with a trailing newline. */
  public static String toPem(X509Certificate certificate) {
    return toPem(der(certificate));
  }

  /** A DER-encoded certificate as one PEM block, with a trailing newline. */
  public static String toPem(byte[] der) {
    return new String(toPemBytes(der), StandardCharsets.US_ASCII);
  }

  /** {@link #toPem(byte[])} as ASCII bytes. */
  public static byte[] toPemBytes(byte[] der) {
    return pem("CERTIFICATE", der);
  }

  /**
   * The DER bytes of {@code pem} if it is exactly one certificate block as {@link #toPem} writes
   * it, else null; the bytes are not checked to be a certificate.
   */
  public static byte[] canonicalPemDer(String pem) {
    return CanonicalPem.der(pem, "CERTIFICATE");
  }

  /**
   * The one certificate in a PEM text.
   *
   * @throws CertificateException if the text holds no PEM block, is not valid PEM, holds anything
   *     besides exactly one certificate, or the certificate is not valid X.509
   */
  public static X509Certificate parsePem(String pem) throws CertificateException {
    X509Certificate canonical = parseCanonicalPem(pem);
    if (canonical != null) {
      return canonical;
    }
    List<PemBlock> blocks;
    try {
      blocks = PemBlocks.read(pem);
    } catch (IOException e) {
      throw new CertificateException(e.getMessage(), e);
    }
    if (blocks.isEmpty()) {
      throw new CertificateException("no PEM block (-----BEGIN CERTIFICATE-----) found");
    }
    if (blocks.size() > 1) {
      throw new CertificateException(
          blocks.size() + " PEM blocks where exactly one certificate was expected");
    }
    if (blocks.get(0) instanceof PemBlock.Certificate certificate) {
      return certificate.certificate();
    }
    throw new CertificateException(
        blocks.get(0).description() + " where a certificate was expected");
  }

  /**
   * The certificate in {@code pem} if the text is exactly what {@link #toPem} writes for it, else
   * null (the caller then reads it with the general PEM reader, which also says what is wrong). A
   * trusted list of thousands of peers holds only such texts, and this reads each with one base64
   * decoding and the JDK's parser, where the general reader builds BouncyCastle's structure of the
   * certificate too: at start-up that was half of the time spent on the list, mostly garbage.
   */
  private static X509Certificate parseCanonicalPem(String pem) {
    return CanonicalPem.block(pem) instanceof PemBlock.Certificate certificate
        ? certificate.certificate()
        : null;
  }

  /**
   * The certificate with this DER encoding.
   *
   * @throws CertificateException if the bytes are not exactly one DER-encoded X.509 certificate
   */
  public static X509Certificate fromDer(byte[] der) throws CertificateException {
    // The JDK's factory would also take PEM text here; a DER certificate is a SEQUENCE.
    if (der.length == 0 || der[0] != 0x30) {
      throw new CertificateException("not a DER-encoded certificate: it must start with 0x30");
    }
    ByteArrayInputStream in = new ByteArrayInputStream(der);
    X509Certificate certificate =
        (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    if (in.available() != 0) {
      throw new CertificateException(
          in.available() + " bytes follow the certificate's DER encoding");
    }
    return certificate;
  }

  /** The certificate's subject as an RFC 2253 string, for example {@code CN=kitchen-pi}. */
  public static String subject(X509Certificate certificate) {
    return certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
  }

  /**
   * {@link #subject(X509Certificate)} of a certificate's subject Name as DER ({@link
   * CertificateDer#subjectName}): the same JDK code reads and prints it.
   *
   * @throws CertificateException if the bytes are not a Name
   */
  public static String subjectOfName(byte[] nameDer) throws CertificateException {
    try {
      return new X500Principal(nameDer).getName(X500Principal.RFC2253);
    } catch (IllegalArgumentException e) {
      throw new CertificateException("the certificate's subject is not a readable Name", e);
    }
  }

  /** The DER encoding; certificates paird holds were all parsed from or built as DER. */
  public static byte[] der(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate has no DER encoding", e);
    }
  }

  /**
   * One PEM block with the given label around the base64 of {@code der}, as ASCII bytes the caller
   * may wipe (private keys pass through here too).
   */
  static byte[] pem(String label, byte[] der) {
    byte[] begin = ("-----BEGIN " + label + "-----\n").getBytes(StandardCharsets.US_ASCII);
    byte[] end = ("\n-----END " + label + "-----\n").getBytes(StandardCharsets.US_ASCII);
    byte[] base64 = PEM_BASE64.encode(der);
    byte[] pem = new byte[begin.length + base64.length + end.length];
    System.arraycopy(begin, 0, pem, 0, begin.length);
    System.arraycopy(base64, 0, pem, begin.length, base64.length);
    System.arraycopy(end, 0, pem, begin.length + base64.length, end.length);
    Arrays.fill(base64, (byte) 0);
    return pem;
  }
}
