package dev.paird.net;

import dev.paird.identity.Certificates;
import dev.paird.protocol.KeyLedger;
import java.security.cert.CertificateException;

/**
 * Names the other device from the DER certificate it presented. The X.509 parsing happens here,
 * beside the TLS that delivered the certificate, so that the protocol core receives only bytes and
 * the values read from them.
 */
final class PeerCertificates {
  private PeerCertificates() {}

  /** The peer as a key's outcome reports it. */
  static KeyLedger.Peer peer(byte[] der) {
    return new KeyLedger.Peer(Certificates.fingerprint(der), subject(der));
  }

  /**
   * The certificate's subject, or empty if it cannot be parsed: TLS already accepted it, so that
   * happens only for a certificate the JDK reads differently from BoringSSL, and the name is for
   * display only.
   */
  static String subject(byte[] der) {
    try {
      return Certificates.subject(Certificates.fromDer(der));
    } catch (CertificateException e) {
      return "";
    }
  }
}
