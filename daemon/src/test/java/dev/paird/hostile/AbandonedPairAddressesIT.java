package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.Spake2Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/CONTROL.md, {@code pair}: a pairing whose requester goes away is abandoned and "tries no
 * further address of the host". A paird in a network namespace resolves one name to three addresses
 * (a hosts file): two whose SYNs go unanswered, each held for {@code connect_timeout}, then one
 * where a listener of the test's own, in the namespace too, accepts every connection. A pair sent
 * as raw JSON on the control socket, whose connection closes while the first address is being
 * tried, is audited as abandoned, and the listener hears nothing for longer than the blackholed
 * addresses could have kept paird. The same pair whose requester stays reaches the listener once
 * each address before it has had its {@code connect_timeout}. Needs root for the namespace; skipped
 * otherwise.
 *
 * <p>Three addresses, not two: abandoning closes the connection being tried, and that close also
 * ends a second address's attempt if one was started from the first one's failure; only a third
 * shows whether paird went on.
 */
final class AbandonedPairAddressesIT {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

  /** How long a test waits for what it expects to happen. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  /** Addresses on the namespace's veth link that nobody answers (TEST-NET-1). */
  private static final String BLACKHOLED = "192.0.2.2";

  private static final String ALSO_BLACKHOLED = "192.0.2.3";

  /** Where the listener is, in the namespace. */
  private static final String LISTENING = "127.0.0.1";

  /**
   * A name the paird resolves to {@link #BLACKHOLED}, {@link #ALSO_BLACKHOLED} and {@link
   * #LISTENING}, in that order.
   */
  private static final String NAME = "three-addresses.test";

  /** How long paird takes to reach {@link #LISTENING} after its first SYN, if nothing stops it. */
  private static final Duration BEFORE_THE_LISTENER = CONNECT_TIMEOUT.multipliedBy(2);

  /** A well-formed spake2 code: paird checks the key's form before any traffic. */
  private static final String CODE =
      Spake2Code.create(17, "24681357".getBytes(StandardCharsets.US_ASCII)).format();

  @TempDir static Path dir;
  private static Optional<Netns> netns = Optional.empty();
  private static LiveDaemon device;

  @BeforeAll
  static void start() throws Exception {
    netns = Netns.create("bothAddresses");
    if (netns.isEmpty()) {
      return;
    }
    netns.get().blackhole(BLACKHOLED, ALSO_BLACKHOLED);
    StringBuilder hosts = new StringBuilder();
    for (String address : List.of(BLACKHOLED, ALSO_BLACKHOLED, LISTENING)) {
      hosts.append(address).append(' ').append(NAME).append('\n');
    }
    Path hostsFile = Files.writeString(dir.resolve("hosts"), hosts);
    device =
        LiveDaemon.start(
            dir,
            "device",
            options -> options.wrapper(netns.get().pairdResolvingFrom(hostsFile)),
            "connect_timeout = " + CONNECT_TIMEOUT.toSeconds() + "s");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      LiveDaemon.closeAll(device);
    } finally {
      if (netns.isPresent()) {
        netns.get().close();
      }
    }
  }

  @Test
  void requesterGoneWhileTheFirstAddressIsTried_noFurtherAddressIsTried() throws Exception {
    assumeTrue(device != null, "needs root to create a network namespace");
    try (NetnsListener listener =
        NetnsListener.start(netns.get(), LISTENING, dir.resolve("listener-gone.log"))) {
      try (ControlConnection control = ControlConnection.open(device.socket)) {
        control.send(pair(listener));
        awaitConnectingToTheBlackhole();
      } // the requester goes away while the SYN to the first address waits for its answer
      long closed = System.nanoTime();

      device.process.awaitLogLine(
          line ->
              line.contains("command=pair")
                  && line.contains("host=" + NAME + ":" + listener.port() + " ")
                  && line.endsWith("result=abandoned"),
          "the abandoned pair's audit line",
          BOUND);

      // Nothing is to happen, so the test watches for a bounded time: had paird gone on, the
      // blackholed addresses would each have failed within connect_timeout, the first begun before
      // the close, and the listener's been tried at once; the extra second is for a busy machine.
      Duration window =
          BEFORE_THE_LISTENER
              .plus(Duration.ofSeconds(1))
              .minus(Duration.ofNanos(System.nanoTime() - closed));
      assertThat(listener.accepted(window))
          .as("a connection to the listener within %s of the requester going", window)
          .isFalse();
    }
    assertThat(device.process.log()).doesNotContain("Exception");
  }

  /**
   * The control case: without it the test above would also pass if the listener were never reached
   * for another reason (unreachable, or its address tried first and the name's order ignored).
   */
  @Test
  void requesterStaying_theLastAddressIsTried_afterEachBeforeItHadItsConnectTimeout()
      throws Exception {
    assumeTrue(device != null, "needs root to create a network namespace");
    try (NetnsListener listener =
            NetnsListener.start(netns.get(), LISTENING, dir.resolve("listener-staying.log"));
        ControlConnection control = ControlConnection.open(device.socket)) {
      long sent = System.nanoTime();
      control.send(pair(listener));
      awaitConnectingToTheBlackhole();

      assertThat(listener.accepted(BOUND)).as("a connection to the listener").isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - sent))
          .as("from the request to the connection to the listener")
          .isGreaterThanOrEqualTo(BEFORE_THE_LISTENER);
    }
  }

  /** The pair request for {@link #NAME} at the listener's port, as raw JSON. */
  private static String pair(NetnsListener listener) {
    return "{\"v\":1,\"command\":\"pair\",\"id\":1,\"args\":{\"host\":\""
        + NAME
        + ":"
        + listener.port()
        + "\",\"key\":\""
        + CODE
        + "\"}}";
  }

  /**
   * Waits, at most {@link #BOUND}, until the namespace has a TCP socket sending its SYN to {@link
   * #BLACKHOLED}: paird trying the first address.
   */
  private static void awaitConnectingToTheBlackhole() throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (netns.get().output("ss", "-Htn", "state", "syn-sent", "dst", BLACKHOLED).isBlank()) {
      assertThat(System.nanoTime())
          .as("paird connecting to %s within %s", BLACKHOLED, BOUND)
          .isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // between looks at the sockets
    }
  }
}
