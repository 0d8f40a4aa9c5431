package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of a test's own, with a name unique per run (so that two builds on one
 * machine never share one), deleted on {@link #close}, and with it every link made in it.
 */
final class Netns implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  final String name;

  private Netns(String name) {
    this.name = name;
  }

  /**
   * A new namespace {@code pairdit-PURPOSE-XXXXXX} with its loopback up, or empty where it cannot
   * be made: not root, no iproute2, or root in a container without CAP_SYS_ADMIN.
   */
  static Optional<Netns> create(String purpose) throws Exception {
    if (!Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0)) {
      return Optional.empty();
    }
    byte[] tag = new byte[3];
    RANDOM.nextBytes(tag);
    Netns netns = new Netns("pairdit-" + purpose + "-" + HexFormat.of().formatHex(tag));
    Process add;
    try {
      add = new ProcessBuilder("ip", "netns", "add", netns.name).inheritIO().start();
    } catch (IOException noIproute2) {
      return Optional.empty();
    }
    if (!add.waitFor(30, TimeUnit.SECONDS) || add.exitValue() != 0) {
      return Optional.empty();
    }
    try {
      netns.ip("link", "set", "lo", "up");
    } catch (Exception | AssertionError e) {
      netns.close();
      throw e;
    }
    return Optional.of(netns);
  }

  /** Runs {@code ip -n NAME ARGS}, which must succeed. */
  void ip(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip", "-n", name));
    command.addAll(List.of(args));
    run(command.toArray(String[]::new));
  }

  /** The words that run the rest of a command in the namespace, in place. */
  List<String> exec() {
    return List.of("ip", "netns", "exec", name);
  }

  /**
   * A wrapper for paird ({@code PairdProcess.Options.wrapper}) that runs it in the namespace with a
   * resolver that reads only the hosts file {@code hosts}.
   */
  List<String> pairdResolvingFrom(Path hosts) {
    List<String> wrapper = new ArrayList<>(exec());
    wrapper.addAll(List.of("env", "PAIRD_JAVA_OPTS=-Djdk.net.hosts.file=" + hosts));
    return wrapper;
  }

  /**
   * Adds a veth link that holds 192.0.2.1/24 and whose far end, up but without an address, gets
   * every frame for {@code addresses} (of 192.0.2.0/24; fixed neighbour entries, so no ARP fails to
   * tell the sender) and drops them, not being their destination: their SYNs go unanswered.
   */
  void blackhole(String... addresses) throws Exception {
    ip("link", "add", "bh0", "type", "veth", "peer", "name", "bh1");
    ip("address", "add", "192.0.2.1/24", "dev", "bh0");
    ip("link", "set", "bh0", "up");
    ip("link", "set", "bh1", "up");
    for (String address : addresses) {
      ip("neigh", "add", address, "lladdr", "02:00:00:00:00:01", "dev", "bh0", "nud", "permanent");
    }
  }

  /** What {@code command}, run in the namespace, writes to its standard output; it must succeed. */
  String output(String... command) throws Exception {
    List<String> words = new ArrayList<>(exec());
    words.addAll(List.of(command));
    Process process =
        new ProcessBuilder(words).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s finished", words).isTrue();
    assertThat(process.exitValue()).as("%s's exit status", words).isZero();
    return out;
  }

  @Override
  public void close() throws Exception {
    run("ip", "netns", "delete", name);
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).inheritIO().start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
    assertThat(process.exitValue()).as("%s's exit status", List.of(command)).isZero();
  }
}
