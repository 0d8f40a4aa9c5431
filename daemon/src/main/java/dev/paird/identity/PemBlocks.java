package dev.paird.identity;

import java.io.IOException;
import java.io.StringReader;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads the blocks of a PEM text with BouncyCastle's {@link PEMParser} and turns them into JDK
 * certificates and keys, so that no other class needs BouncyCastle's types to read PEM.
 *
 * <p>Keys are converted with the JDK's own providers, never BouncyCastle's, so that the keys paird
 * hands to Netty and signs with are ordinary JDK keys.
 */
final class PemBlocks {
  private PemBlocks() {}

  /**
   * Every block in {@code text}, in order. {@code EC PARAMETERS} blocks, which {@code openssl
   * ecparam -genkey} writes before the key they describe, are left out: the key names its curve
   * itself.
   *
   * @throws IOException with a message for a person, in paird's words alone, if a block is
   *     malformed, of a kind PEM readers do not know, or holds a certificate or key that cannot be
   *     decoded
   */
  static List<PemBlock> read(String text) throws IOException {
    List<PemBlock> blocks = new ArrayList<>();
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      for (int index = 1; ; index++) {
        Object object;
        try {
          object = parser.readObject();
        } catch (IOException | RuntimeException e) {
          // The parser's own text (and the JDK's beneath it) is for the log, not for a person.
          throw new IOException(
              "block " + index + " is not valid PEM: its base64 or what it encodes is damaged", e);
        }
        if (object == null) {
          return blocks;
        }
        if (object instanceof ASN1ObjectIdentifier || object instanceof X9ECParameters) {
          continue;
        }
        blocks.add(convert(object, converter, index));
      }
    }
  }

  private static PemBlock convert(Object object, JcaPEMKeyConverter converter, int index)
      throws IOException {
    try {
      if (object instanceof X509CertificateHolder holder) {
        return new PemBlock.Certificate(Certificates.fromDer(holder.getEncoded()));
      }
      if (object instanceof PrivateKeyInfo info) {
        return new PemBlock.Key(converter.getPrivateKey(info));
      }
      if (object instanceof PEMKeyPair pair) {
        return new PemBlock.Key(converter.getKeyPair(pair).getPrivate());
      }
    } catch (CertificateException e) {
      throw new IOException(
          "block " + index + " is not a valid X.509 certificate: its encoding is damaged", e);
    } catch (PEMException e) {
      throw new IOException(
          "block "
              + index
              + " is a private key this Java runtime cannot decode (damaged, or of a kind it lacks)",
          e);
    }
    if (object instanceof PKCS8EncryptedPrivateKeyInfo || object instanceof PEMEncryptedKeyPair) {
      return new PemBlock.EncryptedKey();
    }
    if (object instanceof SubjectPublicKeyInfo) {
      return new PemBlock.Other("a public key");
    }
    if (object instanceof PKCS10CertificationRequest) {
      return new PemBlock.Other("a certificate request");
    }
    if (object instanceof X509CRLHolder) {
      return new PemBlock.Other("a certificate revocation list");
    }
    return new PemBlock.Other("a PEM block of a kind paird does not read");
  }
}
