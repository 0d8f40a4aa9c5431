package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A real paird, started by packaging/bin/paird on loopback port 0 with a config file the test
 * writes, its own certificate from openssl, and the pairctl that drives it.
 */
final class LiveDaemon implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long {@link #awaitStatus} waits. */
  private static final Duration STATUS_BOUND = Duration.ofSeconds(10);

  final String name;
  final SelfSigned identity;
  final PairdProcess process;
  final Pairctl ctl;

  /** Its control socket. */
  final Path socket;

  /** Where its pairing port listens, as pairctl takes it: {@code 127.0.0.1:PORT}. */
  final String address;

  final InetSocketAddress pairingPort;

  /** Every key issued or typed here; none may appear in the log. */
  final List<String> keys = new ArrayList<>();

  private LiveDaemon(
      String name,
      SelfSigned identity,
      PairdProcess process,
      Pairctl ctl,
      Path socket,
      String address) {
    this.name = name;
    this.identity = identity;
    this.process = process;
    this.ctl = ctl;
    this.address = address;
    this.socket = socket;
    int colon = address.lastIndexOf(':');
    this.pairingPort =
        new InetSocketAddress(
            InetAddress.getLoopbackAddress(), Integer.parseInt(address.substring(colon + 1)));
  }

  /** Starts paird {@code name} in {@code dir}/{@code name} with {@code settings} as paird.conf. */
  static LiveDaemon start(Path dir, String name, String... settings) throws Exception {
    return start(dir, name, UnaryOperator.identity(), settings);
  }

  /**
   * Starts paird with what {@code more} adds to its command line (a wrapper, a lower key-lifetime
   * floor), and waits until it is ready.
   */
  static LiveDaemon start(
      Path dir, String name, UnaryOperator<PairdProcess.Options> more, String... settings)
      throws Exception {
    Path home = Files.createDirectories(dir.resolve(name));
    return start(home, name, OpenSslCli.newSelfSigned(home, name, KeyType.EC_P256), more, settings);
  }

  /**
   * Starts paird {@code name} in {@code home}, presenting {@code identity}: a certificate the test
   * made, whatever its subject.
   */
  static LiveDaemon start(
      Path home,
      String name,
      SelfSigned identity,
      UnaryOperator<PairdProcess.Options> more,
      String... settings)
      throws Exception {
    PairdProcess.Options options =
        more.apply(PairdProcess.in(home).settings(settings).identity(identity));
    PairdProcess process = options.start();
    try {
      Pairctl ctl = options.pairctl();
      String listen = ctl.look(Command.STATUS).path("listen").textValue();
      assertThat(listen).matches("127\\.0\\.0\\.1:[1-9][0-9]*");
      return new LiveDaemon(name, identity, process, ctl, options.socket(), listen);
    } catch (Throwable e) {
      process.close();
      throw e;
    }
  }

  /** {@code pairctl --json new-key ARGS}; the key is remembered for the log check. */
  JsonNode newKey(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("new-key"));
    command.addAll(List.of(args));
    JsonNode issued = ctl.json(command.toArray(String[]::new));
    keys.add(issued.path("key").textValue());
    return issued;
  }

  /**
   * A key issued by {@code pairctl --json new-key ARGS --wait}, still running; the key is read
   * within {@code bound} and remembered for the log check.
   */
  WaitingKey newKeyAndWait(Duration bound, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("--json", "new-key"));
    command.addAll(List.of(args));
    command.add("--wait");
    Pairctl.Running running = ctl.start(command.toArray(String[]::new));
    try {
      JsonNode issued = running.readJson(bound);
      keys.add(issued.path("key").textValue());
      return new WaitingKey(running, issued);
    } catch (Exception | AssertionError e) {
      running.close();
      throw e;
    }
  }

  /** A {@code new-key --wait} that printed its key and waits for the key's outcome. */
  record WaitingKey(Pairctl.Running running, JsonNode issued) implements AutoCloseable {
    String id() {
      return issued.path("id").textValue();
    }

    String key() {
      return issued.path("key").textValue();
    }

    /** The outcome pairctl prints, waited for at most {@code bound}. */
    JsonNode outcome(Duration bound) throws Exception {
      return running.readJson(bound);
    }

    @Override
    public void close() throws IOException {
      running.close();
    }
  }

  /** {@code pairctl --json pair SERVER KEY} from this daemon. */
  Pairctl.Result pair(String server, String key) throws Exception {
    keys.add(key);
    return ctl.run("--json", "pair", server, key);
  }

  /** How many attempts pending key {@code id} has left, from {@code pairctl --json list-keys}. */
  int attemptsLeft(String id) throws Exception {
    for (JsonNode key : ctl.json("list-keys").path("keys")) {
      if (key.path("id").textValue().equals(id)) {
        return key.path("attempts_left").intValue();
      }
    }
    throw new AssertionError("key " + id + " is not pending on " + name);
  }

  /** The fingerprints this daemon trusts. */
  List<String> trusted() throws Exception {
    List<String> fingerprints = new ArrayList<>();
    for (JsonNode peer : ctl.look(Command.LIST_TRUSTED).path("peers")) {
      fingerprints.add(peer.path("fingerprint").textValue());
    }
    return fingerprints;
  }

  /**
   * Waits until paird's status counts {@code count} pairing connections, none of them still in the
   * TLS handshake: a TLS 1.3 client finishes before the server does, so the client side alone
   * cannot tell.
   */
  JsonNode awaitEstablished(int count) throws Exception {
    return awaitStatus(
        status ->
            status.path("pairing_connections").intValue() == count
                && status.path("pairing_in_handshake").intValue() == 0);
  }

  /**
   * Asks paird's control socket for its status, as a plain JSON line over a Unix socket (no pairctl
   * code), until {@code wanted} holds, at most {@link #STATUS_BOUND}, and returns that status.
   */
  JsonNode awaitStatus(Predicate<JsonNode> wanted) throws Exception {
    long deadline = System.nanoTime() + STATUS_BOUND.toNanos();
    JsonNode status;
    do {
      status = rawStatus();
      if (wanted.test(status)) {
        return status;
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // between polls of the status
    } while (System.nanoTime() < deadline);
    throw new AssertionError("paird's status did not reach what the test waits for: " + status);
  }

  private JsonNode rawStatus() throws Exception {
    JsonNode answer = JSON.readTree(Pairctl.exchange(socket, "{\"v\":1,\"command\":\"status\"}\n"));
    assertThat(answer.path("ok").asBoolean()).as("status: %s", answer).isTrue();
    return answer.path("result");
  }

  /** Stops paird, then checks that it never logged a key it issued or was given. */
  @Override
  public void close() throws Exception {
    process.close();
    process.assertLogOmits(keys);
  }

  /**
   * Closes every daemon that was started (nulls are those that never were), each even if closing or
   * checking an earlier one failed; the first failure is thrown at the end, with the others
   * attached.
   */
  static void closeAll(LiveDaemon... daemons) throws Exception {
    Throwable first = null;
    for (LiveDaemon daemon : daemons) {
      try {
        if (daemon != null) {
          daemon.close();
        }
      } catch (Exception | AssertionError e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first instanceof Exception e) {
      throw e;
    }
    if (first instanceof AssertionError e) {
      throw e;
    }
  }

  /** A loopback source address for a hostile client: 127.0.3.{@code host}. */
  static InetAddress source(int host) throws IOException {
    return InetAddress.getByAddress(new byte[] {127, 0, 3, (byte) host});
  }
}
