package dev.paird.protocol;

import java.util.Objects;

/**
 * The two certificates of one TLS session, DER-encoded, exactly as this side observed them: the
 * client's and the server's. Both suites bind their MACs to these bytes, so a man in the middle,
 * who must present its own certificate on each leg, changes them on both legs.
 */
public final class SessionCertificates {
  private final byte[] client;
  private final byte[] server;

  private SessionCertificates(byte[] client, byte[] server) {
    this.client = client;
    this.server = server;
  }

  public static SessionCertificates of(byte[] clientDer, byte[] serverDer) {
    Objects.requireNonNull(clientDer, "clientDer");
    Objects.requireNonNull(serverDer, "serverDer");
    if (clientDer.length == 0 || serverDer.length == 0) {
      throw new IllegalArgumentException("certificates must not be empty");
    }
    return new SessionCertificates(clientDer.clone(), serverDer.clone());
  }

  /** The client's certificate (the device that typed the key). */
  public byte[] client() {
    return client.clone();
  }

  /** The server's certificate (the device that made the key). */
  public byte[] server() {
    return server.clone();
  }

  @Override
  public String toString() {
    return "SessionCertificates[client="
        + client.length
        + " bytes, server="
        + server.length
        + " bytes]";
  }
}
