package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
