package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.paird.daemon.Pairctl.Result;
import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROTOCOL.md, "Transport", and SECURITY.md, section 5: the pairing port speaks TLS 1.3 only and
 * requires a client certificate with proof of its private key. A trusts B after a real pairing;
 * then clients of the JDK's TLS try A's port: B itself (answered PONG, the control), a client
 * offering B's certificate with another key (as anyone could, since trusted.pem is readable by
 * all), a client with no certificate, and a client offering only TLS 1.2. None of the last three
 * gets a frame.
 */
final class TlsPolicyIT {
  private static final Duration BOUND = Duration.ofSeconds(10);
  private static final String PONG = "22 00 00";

  @TempDir static Path dir;
  private static LiveDaemon a;
  private static LiveDaemon b;
  private static SelfSigned mallory;

  @BeforeAll
  static void pair() throws Exception {
    a = LiveDaemon.start(dir, "a", "rate_limit_per_minute = 6000");
    b = LiveDaemon.start(dir, "b");
    // A key made now: the fixture keys are handed out per directory, so dir's first would be the
    // one a and b were given in theirs.
    Path key = OpenSslCli.generateKey(dir, "mallory", KeyType.EC_P256);
    mallory = new SelfSigned(OpenSslCli.selfSign(dir, "mallory", key), key);
    assertThat(Files.readString(key)).isNotEqualTo(Files.readString(b.identity.key()));
    Result paired = b.pair(a.address, a.newKey().path("key").textValue());
    assertThat(paired.status()).as(paired.err()).isZero();
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, b);
  }

  @Test
  void trustedDevice_withItsOwnKey_isAnsweredPong() throws Exception {
    assertThat(ping(JdkTls.context(b.identity), 30).hex()).isEqualTo(PONG);
  }

  /** The CertificateVerify signature does not match the certificate's key. */
  @Test
  void trustedDevicesCertificate_withAnotherKey_getsNoFrame() throws Exception {
    assertNoFrame(JdkTls.context(b.identity, mallory), 31);
  }

  @Test
  void clientWithoutACertificate_getsNoFrame() throws Exception {
    assertNoFrame(JdkTls.withoutCertificate(), 32);
  }

  /**
   * SECURITY.md, §5: a certificate with a 1024-bit RSA key is refused as paird refuses such a key
   * of its own; without the check, A answered this ping with ERROR(NOT_TRUSTED).
   */
  @Test
  void clientWithA1024BitRsaKey_getsNoFrame() throws Exception {
    assertNoFrame(JdkTls.context(OpenSslCli.newSelfSigned(dir, "weak", KeyType.RSA_1024)), 35);
  }

  /** The same client and settings succeed with TLS 1.3, so only the version can explain it. */
  @Test
  void clientOfferingOnlyTls12_failsTheHandshake() throws Exception {
    assertThat(handshake("TLSv1.3", 33)).as("the same client offering TLS 1.3").isNull();
    assertThat(handshake("TLSv1.2", 34))
        .as("the TLS 1.2 handshake")
        .isInstanceOf(SSLException.class);
  }

  /** A handshake with A as B, offering only {@code protocol}; null if it completes. */
  private static Throwable handshake(String protocol, int host) throws Exception {
    SSLSocket socket = (SSLSocket) JdkTls.context(b.identity).getSocketFactory().createSocket();
    try (socket) {
      socket.bind(new InetSocketAddress(source(host), 0));
      socket.connect(a.pairingPort, (int) BOUND.toMillis());
      socket.setSoTimeout((int) BOUND.toMillis());
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setProtocols(new String[] {protocol});
      parameters.setApplicationProtocols(new String[] {JdkTls.ALPN});
      socket.setSSLParameters(parameters);
      return catchThrowable(socket::startHandshake);
    }
  }

  /**
   * Either the handshake fails on the client's side, or (TLS 1.3 lets a client finish first) the
   * server then refuses it: a PING is answered with nothing but the end of the connection.
   */
  private static void assertNoFrame(SSLContext client, int host) throws Exception {
    RawConnection connection;
    try {
      connection = RawConnection.open(client, source(host), a.pairingPort, BOUND);
    } catch (SSLException refused) {
      return; // the server's TLS alert reached the handshake (another IOException fails the test)
    }
    try (connection) {
      Received received = ping(connection);
      assertThat(received.hex()).as("what A sent").isEmpty();
      assertThat(received.ending()).as("after %s", received).isNotEqualTo(Ending.STILL_OPEN);
    }
  }

  private static Received ping(SSLContext client, int host) throws Exception {
    try (RawConnection connection =
        RawConnection.open(client, source(host), a.pairingPort, BOUND)) {
      return ping(connection);
    }
  }

  private static Received ping(RawConnection connection) {
    try {
      connection.send(Wire.frame(Wire.PING, new byte[0]));
    } catch (IOException e) {
      // the server may already have closed: what it sent is read below either way
    }
    return connection.readToEnd(BOUND);
  }
}
