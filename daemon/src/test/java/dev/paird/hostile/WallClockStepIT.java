package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key lifetimes follow the monotonic clock: stepping the wall clock (NTP, a user, a board without a
 * real-time clock setting the date at boot) neither kills a key nor extends one.
 *
 * <p>The server runs under libfaketime (Debian package {@code faketime}), which offsets only the
 * wall clock, by an amount read from a file on every call, so the test steps paird's clock while it
 * runs. Each test first checks that paird sees the step, through the expiry time a new key reports,
 * so that it cannot pass because libfaketime did nothing.
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

  @TempDir static Path dir;
  private static Path offset;
  private static LiveDaemon server;
  private static LiveDaemon client;

  @BeforeAll
  static void start() throws Exception {
    Path library =
        libfaketime()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "libfaketime is not"
                            + " installed; install the Debian package faketime (.ci/run does)"));
    offset = Files.writeString(dir.resolve("offset"), "+0\n");
    server =
        LiveDaemon.start(
            dir,
            "server",
            options ->
                options
                    .wrapper(
                        List.of(
                            "env",
                            "LD_PRELOAD=" + library,
                            "FAKETIME_TIMESTAMP_FILE=" + offset,
                            // read the file on every call: the test changes it
                            "FAKETIME_NO_CACHE=1",
                            "FAKETIME_DONT_FAKE_MONOTONIC=1", // only the wall clock moves
                            // Its work-around for old glibc makes a JVM spin and start ten times
                            // slower (wolfcw/libfaketime#425); Debian 12's glibc does not need it.
                            "FAKETIME_FORCE_MONOTONIC_FIX=0"))
                    .keyLifetimeFloor(LIFETIME),
            "rate_limit_per_minute = 6000",
            "key_lifetime = " + LIFETIME.toSeconds() + "s");
    client = LiveDaemon.start(dir, "client");
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(server, client);
  }

  @Test
  void wallClockSteppedForward_keyStillPairs() throws Exception {
    setOffset("+0");
    // Five minutes, as users' keys live by default: two hours on the wall clock would end it.
    JsonNode issued = server.newKey("--ttl", "5m");

    setOffset("+2h");
    assertPairdSeesTheWallClockMove(issued, Duration.ofHours(2));
    Pairctl.Result pair = client.pair(server.address, issued.path("key").textValue());

    assertThat(pair.status()).as(pair.err()).isZero();
    assertThat(client.trusted())
        .contains(server.ctl.json("status").path("fingerprint").textValue());
  }

  @Test
  void wallClockSteppedBack_keyStillExpiresOnTime() throws Exception {
    setOffset("+0");
    try (Pairctl.Running waiting = server.ctl.start("--json", "new-key", "--wait")) {
      long issuedAt = System.nanoTime();
      JsonNode issued = waiting.readJson(BOUND);
      server.keys.add(issued.path("key").textValue());

      setOffset("-1h");
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
   * A key made now must report an expiry that moved by {@code step} from {@code earlier}'s, give or
   * take the difference in lifetimes and a minute of test time; the probe is cancelled.
   */
  private static void assertPairdSeesTheWallClockMove(JsonNode earlier, Duration step)
      throws Exception {
    JsonNode probe = server.newKey("--ttl", "1h");
    Instant expected = Instant.now().plus(step).plus(Duration.ofHours(1));
    assertThat(Instant.parse(probe.path("expires_at").textValue()))
        .as(
            "the expiry paird gives a key made after the step of %s (the first key: %s)",
            step, earlier.path("expires_at").textValue())
        .isBetween(expected.minusSeconds(60), expected.plusSeconds(60));
    assertThat(server.ctl.run("cancel-key", probe.path("id").textValue()).status()).isZero();
  }

  /** Steps paird's wall clock to real time plus {@code value} (libfaketime's "+2h", "-1h"). */
  private static void setOffset(String value) throws IOException {
    Path next = Files.writeString(dir.resolve("offset.next"), value + "\n");
    Files.move(next, offset, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Debian's libfaketime for multi-threaded programs, on whichever architecture this is. */
  private static Optional<Path> libfaketime() throws IOException {
    try (Stream<Path> dirs = Files.list(Path.of("/usr/lib"))) {
      return dirs.map(d -> d.resolve("faketime/libfaketimeMT.so.1"))
          .filter(Files::isReadable)
          .findFirst();
    }
  }
}
