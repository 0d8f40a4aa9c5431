package dev.paird.trust;

import dev.paird.identity.Certificates;
import dev.paird.testing.Processes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed P-256 certificates such as paird devices have, made fresh for tests. */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(1);

  private TestCertificates() {}

  /**
   * A self-signed certificate whose subject is {@code CN=commonName}, any length and any
   * characters: what a peer chooses is not bound by what well-behaved tools would write.
   */
  public static X509Certificate selfSigned(String commonName) {
    return selfSigned(
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, new DERUTF8String(commonName))
            .build());
  }

  /** A self-signed certificate with exactly this subject (and issuer), encoded as given. */
  public static X509Certificate selfSigned(X500Name name) {
    return selfSigned(name, false);
  }

  /**
   * A self-signed certificate {@code CN=commonName} with subject and authority key identifiers, as
   * {@code openssl req -x509} makes them: what lets OpenSSL tell apart two trusted certificates
   * with the same subject.
   */
  static X509Certificate selfSignedWithKeyIdentifiers(String commonName) {
    return selfSigned(
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, new DERUTF8String(commonName))
            .build(),
        true);
  }

  private static X509Certificate selfSigned(X500Name name, boolean keyIdentifiers) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = generator.generateKeyPair();
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              BigInteger.valueOf(SERIAL.getAndIncrement()),
              Date.from(now.minus(1, ChronoUnit.DAYS)),
              Date.from(now.plus(3650, ChronoUnit.DAYS)),
              name,
              keys.getPublic());
      if (keyIdentifiers) {
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        builder.addExtension(
            Extension.subjectKeyIdentifier,
            false,
            utils.createSubjectKeyIdentifier(keys.getPublic()));
        builder.addExtension(
            Extension.authorityKeyIdentifier,
            false,
            utils.createAuthorityKeyIdentifier(keys.getPublic()));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new AssertionError("cannot make a test certificate", e);
    }
  }

  /** {@code count} certificates named {@code CN=prefix-1} and on. */
  static List<X509Certificate> selfSigned(String prefix, int count) {
    List<X509Certificate> certificates = new ArrayList<>(count);
    for (int i = 1; i <= count; i++) {
      certificates.add(selfSigned(prefix + "-" + i));
    }
    return certificates;
  }

  /**
   * The fingerprints of the certificates in a PEM bundle, in order, parsed the way other Java TLS
   * software would parse it.
   */
  static List<String> bundleFingerprints(Path bundle) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(bundle))) {
      List<String> fingerprints = new ArrayList<>();
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        fingerprints.add(Certificates.fingerprint((X509Certificate) certificate));
      }
      return fingerprints;
    } catch (CertificateException e) {
      throw new AssertionError(bundle + " does not parse as a PEM bundle", e);
    }
  }

  /**
   * Whether {@code openssl verify} accepts {@code certificate} with these options, which say where
   * it finds the certificates it trusts ({@code -CAfile FILE}, {@code -CApath DIR}); {@code dir}
   * takes the certificate's file for the while.
   */
  static boolean opensslVerifies(Path dir, X509Certificate certificate, String... trusted)
      throws IOException {
    Path pem = Files.createTempFile(dir, "verify", ".pem");
    Files.writeString(pem, Certificates.toPem(certificate));
    List<String> command = new ArrayList<>(List.of("openssl", "verify", "-no-CAstore"));
    command.addAll(List.of(trusted));
    command.add(pem.toString());
    Processes.Result result = Processes.run(command);
    Files.delete(pem);
    return result.exitStatus() == 0;
  }

  /**
   * The fingerprints of the certificates in a PEM bundle, in order, found as OpenSSL finds them: a
   * block starts at a line that starts with {@code -----BEGIN CERTIFICATE-----}, and other text is
   * skipped. Unlike Java's reader, it reads a bundle from which paird has withdrawn a certificate
   * in place and not yet written whole (WrittenOutputs), without that certificate.
   */
  static List<String> bundleFingerprintsAsOpenSslReads(Path bundle) throws IOException {
    String text = Files.readString(bundle, StandardCharsets.US_ASCII);
    List<String> fingerprints = new ArrayList<>();
    Matcher block = OPENSSL_BLOCK.matcher(text);
    while (block.find()) {
      try {
        fingerprints.add(Certificates.fingerprint(Certificates.parsePem(block.group())));
      } catch (CertificateException e) {
        throw new AssertionError(bundle + " holds a block OpenSSL would refuse", e);
      }
    }
    return fingerprints;
  }

  private static final Pattern OPENSSL_BLOCK =
      Pattern.compile(
          "(?m)^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]*?^-----END CERTIFICATE-----\n");

  /** Certificates as one PEM text, to hand to another process. */
  static byte[] toPem(List<X509Certificate> certificates) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate certificate : certificates) {
      out.append(Certificates.toPem(certificate));
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }
}
