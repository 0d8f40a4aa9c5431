package dev.paird.net;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
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
 * <p>This class therefore checks only that a certificate was presented at all.
 */
final class PairingTrustManager extends X509ExtendedTrustManager {
  static final PairingTrustManager INSTANCE = new PairingTrustManager();

  private PairingTrustManager() {}

  private static void requirePresented(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the peer presented no certificate");
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

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
