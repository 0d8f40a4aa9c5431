package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts: paird A and paird B, each in a network namespace of its own, joined only by a veth
 * pair, so that pairing and ping cross a link between two addresses on the default port, as between
 * two machines. The control sockets are files, so pairctl drives both daemons from outside the
 * namespaces. Each daemon generates its own identity on first start.
 *
 * <p>Needs root and iproute2's {@code ip netns} (CI runs as root); skipped otherwise. Every
 * namespace the test made is deleted afterwards, whatever happened, and with it its end of the veth
 * pair.
 */
final class NetnsPairingIT {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path tmp;

  /** Unique per run, so that two builds on one machine never share a namespace or a subnet. */
  private final String tag = randomHex(3);

  private final int subnet = 1 + RANDOM.nextInt(254);
  private final Host hostA = new Host("a", 1);
  private final Host hostB = new Host("b", 2);
  private final List<String> namespaces = new ArrayList<>();
  private final List<PairdProcess> started = new ArrayList<>();
  private final List<String> keys = new ArrayList<>();

  /** One namespace: its name, its end of the veth pair, and its address on the link. */
  private final class Host {
    final String namespace;
    final String veth;
    final String address;
    Pairctl ctl;

    Host(String name, int number) {
      this.namespace = "pairdit-" + tag + "-" + name;
      this.veth = "pd" + tag + name; // at most 15 characters, the kernel's limit
      this.address = "10.231." + subnet + "." + number;
    }
  }

  @BeforeEach
  void twoHosts() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to create network namespaces");
    Result netns;
    try {
      netns = ip("netns", "list");
    } catch (IOException e) {
      netns = new Result(-1, "", e.getMessage());
    }
    assumeTrue(netns.status() == 0, "needs 'ip netns' (iproute2): " + netns.err());
    // Root in a container without CAP_SYS_ADMIN gets this far, and no further.
    Result first = ip("netns", "add", hostA.namespace);
    assumeTrue(first.status() == 0, "cannot create a network namespace here: " + first.err());
    namespaces.add(hostA.namespace);
    mustIp("netns", "add", hostB.namespace);
    namespaces.add(hostB.namespace);
    // Each end is created inside its namespace: nothing is left in this one to clean up.
    mustIp(
        "link",
        "add",
        hostA.veth,
        "netns",
        hostA.namespace,
        "type",
        "veth",
        "peer",
        "name",
        hostB.veth,
        "netns",
        hostB.namespace);
    for (Host host : List.of(hostA, hostB)) {
      mustIp("-n", host.namespace, "link", "set", "lo", "up");
      mustIp("-n", host.namespace, "address", "add", host.address + "/24", "dev", host.veth);
      mustIp("-n", host.namespace, "link", "set", host.veth, "up");
    }
  }

  @AfterEach
  void stopDaemonsAndDeleteTheNamespaces() throws Exception {
    try {
      for (PairdProcess paird : started) {
        paird.close();
      }
      for (PairdProcess paird : started) {
        paird.assertLogOmits(keys);
      }
    } finally {
      List<String> left = new ArrayList<>();
      for (String namespace : namespaces) {
        Result delete = ip("netns", "delete", namespace);
        if (delete.status() != 0) {
          left.add(namespace + ": " + delete.err());
        }
      }
      assertThat(left).as("namespaces that could not be deleted").isEmpty();
    }
  }

  @Test
  void pair_acrossTheLink_eachHostTrustsTheOther_andPingWorksBothWaysByAddress() throws Exception {
    start(hostA);
    start(hostB);
    JsonNode statusA = hostA.ctl.look(Command.STATUS);
    JsonNode statusB = hostB.ctl.look(Command.STATUS);
    JsonNode issued = hostA.ctl.json("new-key");
    keys.add(issued.path("key").textValue());

    // No port: both sides use the default one, each in its own namespace.
    Result pair = hostB.ctl.run("--json", "pair", hostA.address, issued.path("key").textValue());

    assertThat(statusA.path("listen").textValue()).isEqualTo("*:7247");
    assertThat(issued.path("port").intValue()).isEqualTo(7247);
    assertThat(pair.status()).as(pair.err()).isZero();
    // A saw B connect from B's address on the link: the exchange crossed the veth pair.
    assertOnlyPeer(hostA, statusB.path("fingerprint").textValue(), hostB.address);
    assertOnlyPeer(hostB, statusA.path("fingerprint").textValue(), hostA.address);
    assertPing(hostA, hostB, statusB);
    assertPing(hostB, hostA, statusA);
  }

  /** Starts paird inside {@code host}'s namespace with every setting at its default. */
  private void start(Host host) throws Exception {
    PairdProcess.Options options =
        PairdProcess.in(Files.createDirectory(tmp.resolve(host.namespace)))
            .defaultListen()
            .wrapper(List.of("ip", "netns", "exec", host.namespace));
    started.add(options.start());
    host.ctl = options.pairctl();
  }

  private static void assertOnlyPeer(Host host, String fingerprint, String address)
      throws Exception {
    JsonNode peers = host.ctl.look(Command.LIST_TRUSTED).path("peers");
    assertThat(peers).hasSize(1);
    assertThat(peers.get(0).path("fingerprint").textValue()).isEqualTo(fingerprint);
    assertThat(peers.get(0).path("host").textValue()).isEqualTo(address);
  }

  private static void assertPing(Host from, Host to, JsonNode statusOfTo) throws Exception {
    Result ping = from.ctl.run("--json", "ping", to.address);
    assertThat(ping.status()).as(ping.err()).isZero();
    assertThat(ping.json().path("host").textValue()).isEqualTo(to.address);
    assertThat(ping.json().path("peer").path("fingerprint").textValue())
        .isEqualTo(statusOfTo.path("fingerprint").textValue());
  }

  private static String randomHex(int bytes) {
    byte[] random = new byte[bytes];
    RANDOM.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  private Result ip(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    return Pairctl.run(tmp, command);
  }

  private void mustIp(String... args) throws Exception {
    Result result = ip(args);
    assertThat(result.status()).as("ip %s: %s", String.join(" ", args), result.err()).isZero();
  }
}
