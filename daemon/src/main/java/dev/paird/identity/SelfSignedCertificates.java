package dev.paird.identity;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds the self-signed X.509 v3 certificate of a generated device identity with BouncyCastle, the
 * one class that needs its certificate builder.
 *
 * <p>Peers pin the certificate by fingerprint, so for paird its names and dates carry no trust. The
 * profile is chosen for the other software that trusts it through paird's outputs, which uses it as
 * a self-signed trust anchor (OpenSSL, Java's PKIX, Go) and may check host names:
 *
 * <ul>
 *   <li>basicConstraints CA:FALSE (critical) and keyUsage digitalSignature only (critical): an
 *       end-entity certificate for both ends of a TLS 1.3 connection. A peer's certificate is
 *       trusted for that peer alone; one that could sign (CA:TRUE, keyCertSign) would let the peer
 *       mint certificates that every consumer of the trusted list would accept.
 *   <li>extendedKeyUsage serverAuth and clientAuth: OpenSSL, Java and Go check the purpose of a
 *       server's and a client's certificate when the extension is present, and accept both.
 *   <li>subjectAltName: the host's DNS names and configured IP addresses ({@link HostNames}). Go,
 *       curl, Java's HTTPS check and PostgreSQL's verify-full match host names only there (they
 *       ignore the common name when a subjectAltName is present, and Go always).
 *   <li>subjectKeyIdentifier and authorityKeyIdentifier (the same key id): OpenSSL looks a trust
 *       anchor up by subject, and when two trusted certificates share one (two devices called
 *       raspberrypi) it tells them apart only by the authority key identifier; without it, the
 *       second device is refused.
 * </ul>
 *
 * <p>The validity is a century from a day before now: TLS stacks that check dates do not refuse it,
 * and a certificate cannot be renewed without its peers pairing again.
 */
final class SelfSignedCertificates {
  /** The only signature algorithm: generated identities are EC P-256. */
  static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

  private SelfSignedCertificates() {}

  /**
   * A certificate for {@code keyPair}'s EC P-256 public key, signed with its private key, with
   * subject and issuer {@code CN=commonName}, {@code names} as subjectAltNames (none if it is
   * empty) and a random positive 128-bit serial number.
   */
  static X509Certificate create(
      KeyPair keyPair,
      String commonName,
      HostNames names,
      Instant notBefore,
      Instant notAfter,
      SecureRandom random)
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
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, generalNames(names));
      }
      JcaX509ExtensionUtils keyIds = new JcaX509ExtensionUtils();
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          keyIds.createSubjectKeyIdentifier(keyPair.getPublic()));
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          keyIds.createAuthorityKeyIdentifier(keyPair.getPublic()));
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

  private static GeneralNames generalNames(HostNames names) {
    List<GeneralName> all = new ArrayList<>();
    for (String dns : names.dnsNames()) {
      all.add(new GeneralName(GeneralName.dNSName, dns));
    }
    for (InetAddress address : names.addresses()) {
      all.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(address.getAddress())));
    }
    return new GeneralNames(all.toArray(new GeneralName[0]));
  }
}
