package dev.paird.hostile;

import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Self-signed EC P-256 device identities, each with a key of its own, whose subject is whatever a
 * hostile device chooses: Bouncy Castle encodes any name it is given, where openssl's {@code -subj}
 * would refuse or rewrite a line break.
 */
final class HostileCertificates {
  private static final Base64.Encoder PEM = Base64.getMimeEncoder(64, new byte[] {'\n'});

  /** A private extension's OID (under the OID arc for examples) for padding certificates. */
  private static final ASN1ObjectIdentifier PADDING =
      new ASN1ObjectIdentifier("1.3.6.1.4.1.32473.1");

  /** Far more than a condition needs that one certificate in a hundred meets. */
  private static final int MAX_ATTEMPTS = 10_000;

  private HostileCertificates() {}

  /**
   * A fresh key and a certificate for it with {@code subject} as subject and issuer, valid from a
   * day ago for a year: {@code dir}/{@code name}.cert.pem and {@code dir}/{@code name}.key.pem
   * (PKCS#8, readable by its owner only, as paird requires).
   */
  static SelfSigned create(Path dir, String name, X500Name subject) {
    return create(dir, name, subject, der -> true);
  }

  /**
   * As {@link #create(Path, String, X500Name)}, made again until the certificate's DER encoding is
   * one that {@code wanted} accepts: each has a key, a serial number of a length and a signature of
   * its own, so the bytes and where they fall in the base64 differ each time.
   */
  static SelfSigned create(Path dir, String name, X500Name subject, Predicate<byte[]> wanted) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      KeyPair keys = newKeys();
      byte[] der = build(subject, keys, List.of(), 0);
      if (wanted.test(der)) {
        return write(dir, name, der, keys);
      }
    }
    throw new AssertionError(MAX_ATTEMPTS + " certificates for " + name + ", none as wanted");
  }

  /**
   * As {@link #create(Path, String, X500Name)}, with {@code dnsNames} as subjectAltNames and a
   * private extension padded so that the certificate's DER encoding is exactly {@code size} bytes.
   */
  static SelfSigned ofSize(
      Path dir, String name, X500Name subject, List<String> dnsNames, int size) {
    KeyPair keys = newKeys();
    int padding = 0;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      byte[] der = build(subject, keys, dnsNames, padding);
      if (der.length == size) {
        return write(dir, name, der, keys);
      }
      // The signature's length varies by a byte or two, the padding's length field at 128, 256
      // and 65,536 bytes: the next attempt lands on the size or close to it.
      padding = Math.max(1, padding + size - der.length);
    }
    throw new AssertionError(MAX_ATTEMPTS + " certificates for " + name + ", none of " + size);
  }

  private static KeyPair newKeys() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has P-256", e);
    }
  }

  /**
   * A self-signed certificate for {@code keys}, valid from a day ago for a year, with a random
   * serial number; with subjectAltNames and a padding extension of {@code padding} zero bytes if
   * they are not empty.
   */
  private static byte[] build(X500Name subject, KeyPair keys, List<String> dnsNames, int padding) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    SecureRandom random = new SecureRandom();
    try {
      JcaX509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              new BigInteger(32 + random.nextInt(32), random).setBit(31),
              Date.from(now.minus(1, ChronoUnit.DAYS)),
              Date.from(now.plus(365, ChronoUnit.DAYS)),
              subject,
              keys.getPublic());
      if (!dnsNames.isEmpty()) {
        builder.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(
                dnsNames.stream()
                    .map(dns -> new GeneralName(GeneralName.dNSName, dns))
                    .toArray(GeneralName[]::new)));
      }
      if (padding > 0) {
        builder.addExtension(PADDING, false, new DEROctetString(new byte[padding]));
      }
      return builder
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()))
          .getEncoded();
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot make a certificate for " + subject, e);
    }
  }

  /** {@code dir}/{@code name}.cert.pem and {@code dir}/{@code name}.key.pem (PKCS#8, 0600). */
  private static SelfSigned write(Path dir, String name, byte[] der, KeyPair keys) {
    try {
      Path cert = Files.writeString(dir.resolve(name + ".cert.pem"), pem("CERTIFICATE", der));
      Path key =
          Files.writeString(
              dir.resolve(name + ".key.pem"), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
      return new SelfSigned(cert, OpenSslCli.privateFile(key));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The certificate of {@code identity}, read by the JDK. */
  static X509Certificate certificate(SelfSigned identity) {
    try (InputStream in = Files.newInputStream(identity.cert())) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot read " + identity.cert(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The base64 lines of a certificate's PEM block, as they stand between its BEGIN and END. */
  static String base64Lines(X509Certificate certificate) {
    try {
      return PEM.encodeToString(certificate.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of the DER encoding, 64 lowercase hex digits. */
  static String fingerprint(byte[] der) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + new String(PEM.encode(der), StandardCharsets.US_ASCII)
        + "\n-----END "
        + label
        + "-----\n";
  }
}
