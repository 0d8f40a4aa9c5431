package dev.paird.identity;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the self-signed X.509 v3 certificate of a generated device identity with BouncyCastle,
 * the one class that needs its certificate builder.
 *
 * <p>The certificate is an end-entity certificate for both ends of a TLS connection: not a CA,
 * key usage digitalSignature only, extended key usage serverAuth and clientAuth. Peers pin it by
 * fingerprint, so its names and dates carry no trust; the long validity only keeps TLS stacks
 * that check dates from refusing it.
 */
final class SelfSignedCertificates {
  /** The only signature algorithm: generated identities are EC P-256. */
  static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

  private SelfSignedCertificates() {}

  /**
   * A certificate for {@code keyPair}'s EC P-256 public key, signed with its private key, with
   * subject and issuer {@code CN=commonName} and a random positive 128-bit serial number.
   */
  static X509Certificate create(
      KeyPair keyPair, String commonName, Instant notBefore, Instant notAfter, SecureRandom random)
      throws GeneralSecurityException {
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    BigInteger serial;
    do {
      serial = new BigInteger(128, random);
    } while (serial.signum() == 0);
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name, serial, Date.from(notBefore), Date.from(notAfter), name, keyPair.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keyPair.getPublic()));
      ContentSigner signer =
          new JcaContentSignerBuilder(SIGNATURE_ALGORITHM)
              .setSecureRandom(random)
              .build(keyPair.getPrivate());
      return Certificates.fromDer(builder.build(signer).getEncoded());
    } catch (IOException | OperatorCreationException e) {
      throw new GeneralSecurityException(
          "cannot build the device certificate: " + e.getMessage(), e);
    }
  }
}
