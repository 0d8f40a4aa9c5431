package dev.paird.net;

import dev.paird.identity.DeviceIdentity;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS trust decision on the pairing port: accept any presented certificate.
 *
 * <p>Devices have self-signed certificates nobody can vouch for, so TLS cannot decide whether to
 * trust one; the pairing protocol does, with MACs over the certificates each side observed, and
 * ping does, by looking the certificate up in the trusted list. What TLS still guarantees, and what
 * the protocol relies on, is that the peer holds the private key of the certificate it presented:
 * TLS 1.3 requires a CertificateVerify signature from both sides (the server demands a client
 * certificate), and the handshake fails without it.
 *
 * <p>This class therefore checks only that a certificate was presented at all, and that its key is
 * not one paird would refuse as a device's own for being weak: an RSA key below {@link
 * DeviceIdentity#MIN_RSA_BITS} bits, which whoever can factor it could use to pose as that device
 * long after the pairing. The handshake fails on the side that checks, before any frame.
 */
final class PairingTrustManager extends X509ExtendedTrustManager {
  static final PairingTrustManager INSTANCE = new PairingTrustManager();

  private PairingTrustManager() {}

  private static void requirePresented(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the peer presented no certificate");
    }
    int rsaBits =
        chain[0].getPublicKey() instanceof RSAPublicKey rsa ? rsa.getModulus().bitLength() : 0;
    if (rsaBits > 0 && rsaBits < DeviceIdentity.MIN_RSA_BITS) {
      throw new WeakKeyException(
          "the other device's certificate has a "
              + rsaBits
              + "-bit RSA key; paird trusts RSA keys of "
              + DeviceIdentity.MIN_RSA_BITS
              + " bits or more");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    requirePresented(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    requirePresented(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    requirePresented(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    requirePresented(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    requirePresented(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    requirePresented(chain);
  }

  /** A peer's key refused for being weak: its message is for the user, and names the key. */
  static final class WeakKeyException extends CertificateException {
    private static final long serialVersionUID = 1L;

    WeakKeyException(String message) {
      super(message);
    }
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
