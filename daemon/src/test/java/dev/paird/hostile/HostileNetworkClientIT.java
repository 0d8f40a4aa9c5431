package dev.paird.hostile;

import static dev.paird.hostile.HostileServerIT.assertNoExceptionText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.ClosedPort;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * paird as a client ({@code pairctl pair} and {@code pairctl ping}, through a real paird) against
 * servers that hold it as long as they can and addresses that never answer: PROTOCOL.md §6's
 * deadlines for paird as client. A tarpit that never sends a byte and a relay that trickles a real
 * TLS server's handshake one byte every half second are ended at {@code handshake_timeout}; a
 * server that trickles its frame after the handshake, at {@code exchange_timeout}; an address that
 * drops every SYN, at {@code connect_timeout}, each address of a name in turn; a closed port at
 * once. Each ends with a stable error code and exit status 6, without Java exception text, and
 * nothing is trusted.
 *
 * <p>The trickled bytes arrive far more often than any deadline, so a per-read idle timer would
 * never fire: only a deadline on the whole handshake or exchange can end those connections. The
 * blackhole needs a network namespace (root; skipped otherwise), in which a second paird runs: the
 * far end of a veth link there has a fixed neighbour entry, so frames to its addresses leave and
 * reach nobody, and a hosts file gives one name two such addresses.
 */
final class HostileNetworkClientIT {
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration EXCHANGE_TIMEOUT = Duration.ofSeconds(8);

  /** The isolated paird's; the device keeps the default of 10 s. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  /** How much later than its deadline a run may end: pairctl's own start on a busy machine. */
  private static final Duration SLACK = Duration.ofSeconds(5);

  /** The pace of a trickle: one byte this often. */
  private static final Duration TRICKLE = Duration.ofMillis(500);

  /** How long a test waits for a fake server's record. */
  private static final Duration BOUND = Duration.ofSeconds(30);

  /** Addresses on the namespace's veth link that nobody answers (TEST-NET-1). */
  private static final String BLACKHOLED = "192.0.2.2";

  private static final String ALSO_BLACKHOLED = "192.0.2.3";

  /** A name the isolated paird resolves to both. */
  private static final String TWO_ADDRESS_NAME = "blackholed.test";

  /** A well-formed spake2 code for slot 17: pairctl checks the check digit before any traffic. */
  private static final String CODE =
      Spake2Code.create(17, "24681357".getBytes(StandardCharsets.US_ASCII)).format();

  @TempDir static Path dir;

  /** The paird on this host's loopback, meeting the fake servers. */
  private static LiveDaemon device;

  private static Optional<Netns> netns = Optional.empty();

  /** The paird in the namespace, for the addresses that never answer. */
  private static LiveDaemon isolated;

  private static SSLContext fake;

  @BeforeAll
  static void start() throws Exception {
    device =
        LiveDaemon.start(
            dir,
            "device",
            "handshake_timeout = " + HANDSHAKE_TIMEOUT.toSeconds() + "s",
            "exchange_timeout = " + EXCHANGE_TIMEOUT.toSeconds() + "s");
    fake = JdkTls.context(OpenSslCli.newSelfSigned(dir, "fake", KeyType.EC_P256));
    netns = Netns.create("blackhole");
    if (netns.isPresent()) {
      isolated = startIsolated(netns.get());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      LiveDaemon.closeAll(device, isolated);
    } finally {
      if (netns.isPresent()) {
        netns.get().close();
      }
    }
  }

  // --- handshake_timeout ---

  /**
   * PROTOCOL.md §6, paird as client: the TLS handshake within {@code handshake_timeout}. A server
   * that accepts the connection and never sends a byte (no ServerHello) ends pair and ping with
   * {@code timeout} then, and the connection is closed.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pair", "ping"})
  void tarpitThatNeverAnswers_isATimeout_atTheHandshakeDeadline(String command) throws Exception {
    try (Trickler tarpit = Trickler.tarpit()) {
      assertCutOffAtTheHandshakeDeadline(command, tarpit);
    }
  }

  /**
   * PROTOCOL.md §6, paird as client: the handshake deadline is on the whole handshake, not on
   * silence. A real TLS server behind a relay that passes its handshake on one byte every half
   * second (minutes for all of it) holds pair and ping no longer than {@code handshake_timeout},
   * though a byte arrived every half second.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pair", "ping"})
  void serverTricklingItsHandshake_isATimeout_atTheHandshakeDeadline(String command)
      throws Exception {
    try (FakePairingServer server = FakePairingServer.start(fake, true, (c, r) -> {});
        Trickler relay = Trickler.relay(server.socketAddress(), TRICKLE)) {
      assertCutOffAtTheHandshakeDeadline(command, relay);

      assertThat(relay.trickled())
          .as("bytes of the handshake that reached paird, one every %s", TRICKLE)
          .isGreaterThanOrEqualTo(3);
    }
  }

  // --- exchange_timeout ---

  /**
   * PROTOCOL.md §6, paird as client: the whole connection within {@code exchange_timeout} of the
   * moment it was established. A server that completes TLS, reads the client's share and sends its
   * own 68-byte SPAKE2_SERVER_SHARE one byte every half second (34 s for the frame) ends pair with
   * {@code timeout} at the deadline, not when the frame would be complete, and closes the
   * connection.
   */
  @Test
  void pair_serverTricklingItsFrame_isATimeout_atTheExchangeDeadline() throws Exception {
    AtomicInteger sent = new AtomicInteger();
    try (FakePairingServer server =
        FakePairingServer.start(
            fake,
            true,
            (connection, received) -> {
              FakePairingServer.read(connection, 3 + 66, received); // the client's share
              Trickler.trickle(
                  new ByteArrayInputStream(
                      Wire.frame(Wire.SPAKE2_SERVER_SHARE, P256.randomPoint())),
                  connection.getOutputStream(),
                  TRICKLE,
                  sent);
            })) {
      Timed run = run(device, "pair", server.address());

      assertFailed(run, "timeout", EXCHANGE_TIMEOUT);
      assertThat(Wire.hex(Arrays.copyOf(server.received(), 4)))
          .as("the client's first frame, once it has closed the connection")
          .isEqualTo("11 00 42 11"); // SPAKE2_CLIENT_SHARE, 66 bytes, slot 17
      assertThat(sent.get())
          .as("bytes of the frame the server wrote, one every %s", TRICKLE)
          .isBetween(3, 68 - 1);
      assertThat(device.trusted()).isEmpty();
    }
  }

  // --- connect_timeout, and a refused connection ---

  /**
   * packaging/paird.conf: {@code connect_timeout} is the "time allowed to connect to another device
   * for pairctl pair and pairctl ping". An address whose SYNs go unanswered ends both with {@code
   * peer_unreachable} then, naming the address and the setting.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pair", "ping"})
  void addressThatDropsEverySyn_isUnreachable_atTheConnectDeadline(String command)
      throws Exception {
    assumeIsolated();

    Timed run = run(isolated, command, BLACKHOLED);

    assertFailed(run, "peer_unreachable", CONNECT_TIMEOUT);
    assertThat(run.result.err()).contains(BLACKHOLED).contains("connect_timeout");
    assertThat(isolated.trusted()).isEmpty();
  }

  /**
   * PROTOCOL.md §6, paird as client: a name's addresses are tried in turn, each within {@code
   * connect_timeout}: a name with two addresses that never answer is unreachable after twice the
   * setting, and the message names the host as typed.
   */
  @Test
  void pair_nameWhoseTwoAddressesDropEverySyn_isUnreachable_afterEachAddressHadItsTurn()
      throws Exception {
    assumeIsolated();

    Timed run = run(isolated, "pair", TWO_ADDRESS_NAME);

    assertFailed(run, "peer_unreachable", CONNECT_TIMEOUT.multipliedBy(2));
    assertThat(run.result.err()).contains("connect to " + TWO_ADDRESS_NAME + " (");
    assertThat(isolated.trusted()).isEmpty();
  }

  /**
   * CONTROL.md, {@code peer_unreachable}: an address that no route leads to fails pair and ping at
   * once, saying so without Java's text. Linux refuses a TCP connection to the broadcast address
   * with ENETUNREACH, as it does to an IPv6 address on a host without IPv6; Netty reports that as
   * an exception without text, which paird once passed on as "null".
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pair", "ping"})
  void addressNoRouteLeadsTo_isUnreachable_atOnce_withoutJavaText(String command) throws Exception {
    Timed run = run(device, command, "255.255.255.255");

    assertFailed(run, "peer_unreachable", Duration.ZERO);
    assertThat(run.result.err()).contains("255.255.255.255");
    assertThat(device.trusted()).isEmpty();
  }

  /**
   * CONTROL.md, {@code peer_unreachable}: a port that answers the SYN with a reset fails pair at
   * once, not after {@code connect_timeout} (10 s here), naming the host and port as typed.
   */
  @Test
  void pair_closedPort_isUnreachable_atOnce_namingTheHost() throws Exception {
    try (ClosedPort closed = ClosedPort.open()) {
      Timed run = run(device, "pair", closed.address());

      assertFailed(run, "peer_unreachable", Duration.ZERO);
      assertThat(run.result.err()).contains(closed.address());
      assertThat(device.trusted()).isEmpty();
    }
  }

  // --- helpers ---

  /** A pairctl run and how long it took, from before pairctl started to its exit. */
  private record Timed(Result result, Duration took) {}

  /**
   * {@code pairctl --json pair HOST CODE} or {@code pairctl --json ping HOST} on {@code daemon}.
   */
  private static Timed run(LiveDaemon daemon, String command, String host) throws Exception {
    long start = System.nanoTime();
    Result result =
        command.equals("pair") ? daemon.pair(host, CODE) : daemon.ctl.run("--json", "ping", host);
    return new Timed(result, Duration.ofNanos(System.nanoTime() - start));
  }

  /**
   * {@code command} on the device, to {@code server}, fails with {@code timeout} at the handshake
   * deadline, the connection ends no later, and nothing is trusted.
   */
  private static void assertCutOffAtTheHandshakeDeadline(String command, Trickler server)
      throws Exception {
    Timed run = run(device, command, server.address());

    assertFailed(run, "timeout", HANDSHAKE_TIMEOUT);
    assertThat(run.result.err()).contains("handshake");
    assertThat(server.held(BOUND))
        .as("how long paird stayed connected")
        .isLessThanOrEqualTo(HANDSHAKE_TIMEOUT.plus(SLACK));
    assertThat(device.trusted()).isEmpty();
  }

  /**
   * The run failed with {@code code} (exit status 6), said so on stderr without Java exception
   * text, no sooner than {@code deadline} and no later than {@link #SLACK} after it.
   */
  private static void assertFailed(Timed run, String code, Duration deadline) throws Exception {
    assertThat(run.result.status()).as(run.result.err()).isEqualTo(6);
    assertThat(run.result.json().path("error").path("code").textValue()).isEqualTo(code);
    assertThat(run.result.err()).startsWith("pairctl: ");
    assertNoExceptionText(run.result);
    assertThat(run.took)
        .as("pairctl's run, for %s", run.result.err().strip())
        .isBetween(deadline, deadline.plus(SLACK));
  }

  private static void assumeIsolated() {
    assumeTrue(isolated != null, "needs root to create a network namespace");
  }

  /**
   * Starts a paird in {@code netns}, where a veth link holds 192.0.2.1/24 and its far end, up but
   * without an address, gets every frame for 192.0.2.2 and 192.0.2.3 (fixed neighbour entries, so
   * no ARP fails to tell the sender) and drops them, not being their destination. Its resolver
   * reads only a hosts file that gives {@link #TWO_ADDRESS_NAME} both.
   */
  private static LiveDaemon startIsolated(Netns netns) throws Exception {
    netns.blackhole(BLACKHOLED, ALSO_BLACKHOLED);
    Path hosts =
        Files.writeString(
            dir.resolve("hosts"),
            BLACKHOLED
                + " "
                + TWO_ADDRESS_NAME
                + "\n"
                + ALSO_BLACKHOLED
                + " "
                + TWO_ADDRESS_NAME
                + "\n");
    return LiveDaemon.start(
        dir,
        "isolated",
        options -> options.wrapper(netns.pairdResolvingFrom(hosts)),
        "connect_timeout = " + CONNECT_TIMEOUT.toSeconds() + "s");
  }
}
