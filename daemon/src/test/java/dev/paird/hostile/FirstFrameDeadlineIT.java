package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.hostile.RawConnection.Ending;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that completes TLS and then says nothing, or half a frame, is answered ERROR(TIMEOUT)
 * and dropped at {@code first_frame_timeout}, long before the exchange deadline: it cannot hold one
 * of the daemon's connections for long.
 */
final class FirstFrameDeadlineIT {
  private static final double FIRST_FRAME_TIMEOUT_SECONDS = 2;

  /** Far beyond the first-frame deadline, so that only that deadline can explain the close. */
  private static final String EXCHANGE_TIMEOUT = "20s";

  /** How long a test waits for the server: enough for a slow machine, well under the above. */
  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir static Path dir;
  private static LiveDaemon paird;
  private static SSLContext client;

  @BeforeAll
  static void start() throws Exception {
    paird =
        LiveDaemon.start(
            dir,
            "server",
            "first_frame_timeout = 2s",
            "exchange_timeout = " + EXCHANGE_TIMEOUT,
            "rate_limit_per_minute = 6000");
    client = JdkTls.context(OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(paird);
  }

  @Test
  void silentAfterHandshake_isAnsweredTimeout_atTheFirstFrameDeadline() throws Exception {
    try (RawConnection connection =
        RawConnection.open(client, source(20), paird.pairingPort, BOUND)) {
      Received received = connection.readToEnd(BOUND);

      assertTimeoutAtTheDeadline(connection, received);
      assertLoggedTimeout("127.0.3.20");
    }
  }

  @Test
  void halfAFrame_thenSilence_isAnsweredTimeout_atTheFirstFrameDeadline() throws Exception {
    try (RawConnection connection =
        RawConnection.open(client, source(21), paird.pairingPort, BOUND)) {
      connection.send(Wire.hex("11 00")); // two of the three header bytes of a client share

      Received received = connection.readToEnd(BOUND);

      assertTimeoutAtTheDeadline(connection, received);
      assertLoggedTimeout("127.0.3.21");
    }
  }

  /** Exactly ERROR(TIMEOUT), then the end of the connection, about 2 s after the handshake. */
  private static void assertTimeoutAtTheDeadline(RawConnection connection, Received received) {
    assertThat(received.hex()).as("what the server sent").isEqualTo(Wire.hex(Wire.ERROR_TIMEOUT));
    assertThat(received.ending()).as("after %s", received).isEqualTo(Ending.EOF);
    assertThat(connection.secondsAfterHandshake(received.firstByteNanos()))
        .as("seconds from the handshake to ERROR(TIMEOUT)")
        .isBetween(FIRST_FRAME_TIMEOUT_SECONDS - 0.5, FIRST_FRAME_TIMEOUT_SECONDS + 4);
  }

  /**
   * The log names the client's address, which no other connection uses, and says it was about time;
   * the exact wording is the daemon's to choose.
   */
  private static void assertLoggedTimeout(String source) throws InterruptedException {
    paird.process.awaitLogLine(
        line ->
            line.contains(source)
                && line.toLowerCase(Locale.ROOT).matches(".*(time|deadline|within|first frame).*"),
        "about the silent client at " + source,
        Duration.ofSeconds(5));
  }
}
