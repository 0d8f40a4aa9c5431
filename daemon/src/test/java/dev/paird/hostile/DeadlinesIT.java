package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROTOCOL.md, "Limits": the TLS handshake must finish within {@code handshake_timeout}, and the
 * whole connection within {@code exchange_timeout} of its accept. A client that opens a TCP
 * connection and sends nothing, or half a ClientHello, is closed at the first without a byte; a
 * client that starts a spake2 exchange and then falls silent is answered ERROR(TIMEOUT) at the
 * second, and the key's attempt stays spent. The first-frame deadline is set far beyond both, so
 * that only they can explain a close.
 */
final class DeadlinesIT {
  private static final double HANDSHAKE_TIMEOUT_SECONDS = 2;
  private static final double EXCHANGE_TIMEOUT_SECONDS = 3;

  /** How long a test waits for the server: enough for a slow machine. */
  private static final Duration BOUND = Duration.ofSeconds(15);

  @TempDir static Path dir;
  private static LiveDaemon paird;
  private static SSLContext client;

  @BeforeAll
  static void start() throws Exception {
    paird =
        LiveDaemon.start(
            dir,
            "server",
            "handshake_timeout = 2s",
            "first_frame_timeout = 1m",
            "exchange_timeout = 3s",
            "rate_limit_per_minute = 6000");
    client = JdkTls.context(OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(paird);
  }

  @Test
  void tcpConnectionThatNeverStartsTls_isClosedAtTheHandshakeDeadline_withoutAByte()
      throws Exception {
    assertClosedAtTheHandshakeDeadline(new byte[0], 40);
  }

  @Test
  void halfAClientHello_isClosedAtTheHandshakeDeadline_withoutAByte() throws Exception {
    // A TLS record header announcing 512 bytes of handshake, and 4 of them.
    assertClosedAtTheHandshakeDeadline(Wire.hex("16 03 01 02 00 01 00 01 fc"), 41);
  }

  @Test
  void spake2ExchangeAbandonedAfterTheShares_isAnsweredTimeout_andTheAttemptStaysSpent()
      throws Exception {
    JsonNode issued = paird.newKey("--suite", "spake2");
    String id = issued.path("id").textValue();

    long beforeConnect = System.nanoTime();
    try (RawConnection connection =
        RawConnection.open(client, source(42), paird.pairingPort, BOUND)) {
      byte[] share = Wire.sendShare(connection, id, BOUND);
      Received rest = connection.readToEnd(BOUND);

      assertThat(Wire.hex(Arrays.copyOf(share, 4))).isEqualTo("12 00 41 04");
      assertThat(rest.hex()).as("after the shares").isEqualTo(Wire.hex(Wire.ERROR_TIMEOUT));
      assertThat(rest.ending()).as("after %s", rest).isEqualTo(Ending.EOF);
      // Counted from the accept, which comes after this side starts to connect: so no earlier than
      // the deadline after that start, and not much later.
      assertThat((rest.firstByteNanos() - beforeConnect) / 1e9)
          .as("seconds from the connect to ERROR(TIMEOUT)")
          .isBetween(EXCHANGE_TIMEOUT_SECONDS - 0.1, EXCHANGE_TIMEOUT_SECONDS + 4);
    }
    assertThat(paird.attemptsLeft(id)).isEqualTo(2);
    assertThat(paird.ctl.run("cancel-key", id).status()).isZero();
  }

  /**
   * Connects over plain TCP from {@code host}, sends {@code bytes}, and checks that paird closes
   * the connection about {@code handshake_timeout} later, having sent nothing.
   */
  private static void assertClosedAtTheHandshakeDeadline(byte[] bytes, int host) throws Exception {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(source(host), 0));
      socket.connect(paird.pairingPort, (int) BOUND.toMillis());
      long connected = System.nanoTime();
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      socket.setSoTimeout((int) BOUND.toMillis());
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      boolean ended;
      try {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[512];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          received.write(buffer, 0, n);
        }
        ended = true;
      } catch (SocketTimeoutException e) {
        ended = false;
      } catch (IOException e) {
        ended = true; // a reset closes it as well
      }
      double seconds = (System.nanoTime() - connected) / 1e9;

      assertThat(ended).as("paird closed the connection within %s", BOUND).isTrue();
      assertThat(received.toByteArray()).as("what paird sent").isEmpty();
      assertThat(seconds)
          .as("seconds from the connect to the close")
          .isBetween(HANDSHAKE_TIMEOUT_SECONDS - 0.5, HANDSHAKE_TIMEOUT_SECONDS + 4);
    }
  }
}
