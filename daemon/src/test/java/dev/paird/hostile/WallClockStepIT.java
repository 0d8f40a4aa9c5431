package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Key lifetimes and connection deadlines follow the monotonic clock: stepping the wall clock (NTP,
 * a user, a board without a real-time clock setting the date at boot) neither kills a key nor
 * extends one, and neither drops a connection early nor holds it late.
 *
 * <p>The server runs under a {@link LibFaketime} that moves only its wall clock, so the test steps
 * paird's clock while it runs. Each test first checks that paird sees the step, through the expiry
 * time a new key reports, so that it cannot pass because libfaketime did nothing.
 */
final class WallClockStepIT {
  private static final Duration BOUND = Duration.ofSeconds(20);

  /**
   * The server's keys live this long unless made with --ttl: below the 30 s that users may choose
   * (the server runs with a lower floor, {@link PairdProcess.Options#keyLifetimeFloor}), so that
   * the test of expiry waits seconds, not half a minute; long enough that the clock is stepped well
   * before the key expires (two pairctl runs), which the test checks.
   */
  private static final Duration LIFETIME = Duration.ofSeconds(6);

  /** The first-frame deadline set here; a test's bound is well beyond it. */
  private static final Duration FIRST_FRAME_TIMEOUT = Duration.ofSeconds(5);

  @TempDir static Path dir;
  private static LibFaketime clock;
  private static LiveDaemon server;
  private static LiveDaemon client;
  private static SSLContext mallory;

  @BeforeAll
  static void start() throws Exception {
    clock = LibFaketime.in(dir);
    server =
        LiveDaemon.start(
            dir,
            "server",
            options ->
                options
                    .wrapper(clock.wrapper(LibFaketime.Clocks.WALL_ONLY))
                    .keyLifetimeFloor(LIFETIME),
            "rate_limit_per_minute = 6000",
            "key_lifetime = " + LIFETIME.toSeconds() + "s",
            "first_frame_timeout = " + FIRST_FRAME_TIMEOUT.toSeconds() + "s");
    client = LiveDaemon.start(dir, "client");
    mallory = JdkTls.context(OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(server, client);
  }

  @Test
  void wallClockSteppedForward_keyStillPairs() throws Exception {
    clock.set("+0");
    // Five minutes, as users' keys live by default: two hours on the wall clock would end it.
    JsonNode issued = server.newKey("--ttl", "5m");

    clock.set("+2h");
    assertPairdSeesTheWallClockMove(issued, Duration.ofHours(2));
    Pairctl.Result pair = client.pair(server.address, issued.path("key").textValue());

    assertThat(pair.status()).as(pair.err()).isZero();
    assertThat(client.trusted())
        .contains(server.ctl.json("status").path("fingerprint").textValue());
  }

  @Test
  void wallClockSteppedBack_keyStillExpiresOnTime() throws Exception {
    clock.set("+0");
    try (Pairctl.Running waiting = server.ctl.start("--json", "new-key", "--wait")) {
      long issuedAt = System.nanoTime();
      JsonNode issued = waiting.readJson(BOUND);
      server.keys.add(issued.path("key").textValue());

      clock.set("-1h");
      assertPairdSeesTheWallClockMove(issued, Duration.ofHours(-1));
      Duration beforeTheStepWasSeen = Duration.ofNanos(System.nanoTime() - issuedAt);
      assertThat(beforeTheStepWasSeen)
          .as("paird saw the step while the key was pending (else this test proves nothing)")
          .isLessThan(LIFETIME.minusSeconds(1));
      JsonNode outcome = waiting.readJson(Duration.ofSeconds(60));
      double seconds = (System.nanoTime() - issuedAt) / 1e9;

      assertThat(outcome.path("outcome").textValue())
          .as("new-key --wait: %s", outcome)
          .isEqualTo("expired");
      assertThat(seconds)
          .as("seconds from new-key to the expiry")
          .isBetween(LIFETIME.toSeconds() - 1.0, LIFETIME.toSeconds() + 15.0);
    }
  }

  /**
   * A connection's deadlines run on the monotonic clock too: a client that completes TLS and then
   * says nothing is answered ERROR(TIMEOUT) at {@code first_frame_timeout} after its handshake,
   * although the wall clock was stepped two hours forward (a wall-clock deadline would fire at
   * once) or an hour back (it would hold the connection for that hour) while it waited.
   * PROTOCOL.md, §6; SECURITY.md: "Deadlines ... run on the monotonic clock".
   */
  @ParameterizedTest
  @CsvSource({"+2h, 120, 40", "-1h, -60, 41"})
  void wallClockStepped_connectionDeadlineHolds(String step, long minutes, int source)
      throws Exception {
    clock.set("+0");
    try (RawConnection connection =
        RawConnection.open(mallory, LiveDaemon.source(source), server.pairingPort, BOUND)) {
      clock.set(step);
      assertPairdSeesTheWallClockMove(null, Duration.ofMinutes(minutes));
      assertThat(connection.secondsAfterHandshake(System.nanoTime()))
          .as("paird saw the step before the deadline (else this test proves nothing)")
          .isLessThan(FIRST_FRAME_TIMEOUT.toSeconds() - 1.0);

      RawConnection.Received received = connection.readToEnd(BOUND);

      assertThat(received.hex()).as("what paird sent").isEqualTo(Wire.hex(Wire.ERROR_TIMEOUT));
      assertThat(received.ending()).as("after %s", received).isEqualTo(RawConnection.Ending.EOF);
      assertThat(connection.secondsAfterHandshake(received.firstByteNanos()))
          .as("seconds from the handshake to ERROR(TIMEOUT)")
          .isBetween(FIRST_FRAME_TIMEOUT.toSeconds() - 0.5, FIRST_FRAME_TIMEOUT.toSeconds() + 4.0);
    }
  }

  /**
   * A key made now must report an expiry that moved by {@code step} from {@code earlier}'s, give or
   * take the difference in lifetimes and a minute of test time; the probe is cancelled. {@code
   * earlier} may be null when no key was made before the step.
   */
  private static void assertPairdSeesTheWallClockMove(JsonNode earlier, Duration step)
      throws Exception {
    JsonNode probe = server.newKey("--ttl", "1h");
    Instant expected = Instant.now().plus(step).plus(Duration.ofHours(1));
    assertThat(Instant.parse(probe.path("expires_at").textValue()))
        .as(
            "the expiry paird gives a key made after the step of %s (the first key: %s)",
            step, earlier == null ? "none" : earlier.path("expires_at").textValue())
        .isBetween(expected.minusSeconds(60), expected.plusSeconds(60));
    assertThat(server.ctl.run("cancel-key", probe.path("id").textValue()).status()).isZero();
  }
}
