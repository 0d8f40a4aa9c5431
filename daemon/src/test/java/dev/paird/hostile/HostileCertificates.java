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
import java.util.function.Predicate;
import org.bouncycastle.asn1.x500.X500Name;
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
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      SecureRandom random = new SecureRandom();
      for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        KeyPair keys = generator.generateKeyPair();
        byte[] der =
            new JcaX509v3CertificateBuilder(
                    subject,
                    new BigInteger(32 + random.nextInt(32), random).setBit(31),
                    Date.from(now.minus(1, ChronoUnit.DAYS)),
                    Date.from(now.plus(365, ChronoUnit.DAYS)),
                    subject,
                    keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()))
                .getEncoded();
        if (wanted.test(der)) {
          Path cert = Files.writeString(dir.resolve(name + ".cert.pem"), pem("CERTIFICATE", der));
          Path key =
              Files.writeString(
                  dir.resolve(name + ".key.pem"),
                  pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
          return new SelfSigned(cert, OpenSslCli.privateFile(key));
        }
      }
      throw new AssertionError(MAX_ATTEMPTS + " certificates for " + name + ", none as wanted");
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make a certificate for " + name, e);
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
