package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What PROTOCOL.md §6 calls a source, seen from outside a real paird: "an IPv4 address, or an IPv6
 * /64; {@code ::ffff:a.b.c.d} is a.b.c.d". paird listens on every address ({@code listen = *:0},
 * one dual-stack IPv6 socket, so IPv4 clients reach it as {@code ::ffff:a.b.c.d}) in a network
 * namespace of this class's own, whose loopback holds fd00:1::a and fd00:1::b (one /64), fd00:2::a
 * (another) and 127.0.0.1 and 127.0.0.2; {@link RawClients}, started in the same namespace, connect
 * from them. A connection over a limit is one that the server closes before the TLS handshake ends,
 * as in {@link ConnectionLimitsIT}.
 *
 * <p>Needs root to make the namespace (CI runs as root); skipped otherwise. The namespace is
 * deleted afterwards, whatever happened.
 */
final class SourceGroupingIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Unique per run, so that two builds on one machine never share a namespace. */
  private static final String NAMESPACE = "pairdit-sources-" + randomHex(3);

  private static final String V6_A = "fd00:1::a";
  private static final String V6_B = "fd00:1::b";
  private static final String V6_OTHER = "fd00:2::a";
  private static final String V4_A = "127.0.0.1";
  private static final String V4_B = "127.0.0.2";

  @TempDir static Path identities;
  private static SelfSigned mallory;
  private static boolean made;

  @TempDir Path dir;
  private PairdProcess paird;
  private RawClients clients;

  @BeforeAll
  static void namespace() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to create a network namespace");
    Process add = new ProcessBuilder("ip", "netns", "add", NAMESPACE).inheritIO().start();
    assumeTrue(
        add.waitFor(30, TimeUnit.SECONDS) && add.exitValue() == 0,
        "cannot create a network namespace here ('ip netns add' failed)");
    made = true;
    ip("link", "set", "lo", "up");
    for (String address : List.of(V6_A, V6_B, V6_OTHER)) {
      // nodad: usable at once, not after duplicate address detection.
      ip("address", "add", address + "/128", "dev", "lo", "nodad");
    }
    mallory = OpenSslCli.newSelfSigned(identities, "mallory", KeyType.EC_P256);
  }

  @AfterAll
  static void deleteNamespace() throws Exception {
    if (made) {
      run("ip", "netns", "delete", NAMESPACE);
    }
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (clients != null) {
        clients.close();
      }
    } finally {
      if (paird != null) {
        paird.close();
      }
    }
  }

  /**
   * PROTOCOL.md §6: per source, "at most {@code max_connections_per_source} (4) open at once", an
   * IPv6 source being its /64. Two addresses of one /64 hold two connections each: a fifth from
   * either is closed before TLS, while an address of another /64 is served.
   */
  @Test
  void ipv6_twoAddressesOfOneSlash64_shareOneCap_andAnotherSlash64_isServed() throws Exception {
    start("max_connections_per_source = 4", "rate_limit_per_minute = 6000");
    List<String> held = new ArrayList<>();
    for (String source : List.of(V6_A, V6_B, V6_A, V6_B)) {
      held.add(clients.open(source));
    }

    String fifth = clients.open(V6_B);
    String otherSlash64 = clients.open(V6_OTHER);

    assertThat(held).as("2 from %s, 2 from %s", V6_A, V6_B).allMatch(a -> a.startsWith("opened"));
    assertThat(fifth).as("a 5th from the same /64, from %s", V6_B).isEqualTo("refused");
    assertThat(otherSlash64).as("one from %s", V6_OTHER).startsWith("opened");
    assertServed(otherSlash64);
    assertServed(held.get(0));
  }

  /**
   * PROTOCOL.md §6: "{@code ::ffff:a.b.c.d} is a.b.c.d". IPv4 clients reach the dual-stack socket
   * as IPv4-mapped addresses, which all share one /64: counted by it, one IPv4 host holding its
   * four would lock every other out. Four from 127.0.0.1 do not stop one from 127.0.0.2, and a
   * fifth from 127.0.0.1 is closed before TLS.
   */
  @Test
  void ipv4OnTheDualStackSocket_isCountedPerAddress_notPerMappedSlash64() throws Exception {
    start("max_connections_per_source = 4", "rate_limit_per_minute = 6000");
    List<String> held = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      held.add(clients.open(V4_A));
    }

    String otherHost = clients.open(V4_B);
    String fifth = clients.open(V4_A);

    assertThat(held).as("4 from %s", V4_A).allMatch(a -> a.startsWith("opened"));
    assertThat(otherHost).as("one from %s", V4_B).startsWith("opened");
    assertThat(fifth).as("a 5th from %s", V4_A).isEqualTo("refused");
    assertServed(otherHost);
  }

  /**
   * PROTOCOL.md §6: per source, "at most {@code rate_limit_per_minute} new connections a minute",
   * with the same sources: two addresses of one /64 draw on one bucket, an address of another /64
   * and each IPv4 address on their own. With 2 a minute (and no cap on open connections in the
   * way), a third connection within the minute is closed before TLS.
   */
  @Test
  void rateLimit_isKeptPerSlash64_andPerIpv4Address() throws Exception {
    start("max_connections_per_source = 16", "rate_limit_per_minute = 2");
    List<String> admitted = new ArrayList<>();
    for (String source : List.of(V6_A, V6_B, V6_OTHER, V4_A, V4_A, V4_B)) {
      admitted.add(clients.open(source));
    }

    String thirdFromSlash64 = clients.open(V6_A);
    String thirdFromV4 = clients.open(V4_A);

    assertThat(admitted)
        .as("from %s, %s, %s, %s twice and %s", V6_A, V6_B, V6_OTHER, V4_A, V4_B)
        .allMatch(a -> a.startsWith("opened"));
    assertThat(thirdFromSlash64).as("a 3rd from fd00:1::/64, from %s", V6_A).isEqualTo("refused");
    assertThat(thirdFromV4).as("a 3rd from %s", V4_A).isEqualTo("refused");
  }

  /** The held connection {@code opened} is still served: its PING is answered, not dropped. */
  private void assertServed(String opened) throws Exception {
    assertThat(clients.ping(opened))
        .as("the answer to PING on a held connection (the client is not trusted)")
        .isEqualTo("answered " + Wire.hex(Wire.ERROR_NOT_TRUSTED) + " EOF");
  }

  /**
   * Starts paird in the namespace on every address, port 0, with deadlines long enough that only
   * the limits end a connection, and the clients beside it.
   */
  private void start(String... limits) throws Exception {
    List<String> settings =
        new ArrayList<>(
            List.of(
                "listen = *:0",
                "max_connections = 64",
                "first_frame_timeout = 1m",
                "exchange_timeout = 1m"));
    settings.addAll(List.of(limits));
    PairdProcess.Options options =
        PairdProcess.in(dir)
            .defaultListen()
            .settings(settings.toArray(String[]::new))
            .wrapper(List.of("ip", "netns", "exec", NAMESPACE));
    paird = options.start();
    String listen = options.pairctl().look(Command.STATUS).path("listen").textValue();
    assertThat(listen).as("paird listens on every address").matches("\\*:[1-9][0-9]*");
    int port = Integer.parseInt(listen.substring(2));
    clients = RawClients.start(NAMESPACE, port, mallory, dir.resolve("clients.log"));
  }

  private static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  private static void ip(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip", "-n", NAMESPACE));
    command.addAll(List.of(args));
    run(command.toArray(String[]::new));
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
    assertThat(process.exitValue()).as("%s's exit status", List.of(command)).isZero();
  }
}
