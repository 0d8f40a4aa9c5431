package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl;
import dev.paird.hostile.RawConnection.Received;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROTOCOL.md §6: a full server makes room for a newcomer by evicting a connection, but "never
 * evicts one that is saving trust (if every connection is, the new one is closed before TLS)". Seen
 * from outside two real pairds: B pairs with A, whose save of the trusted list is slowed on purpose
 * by strace, which delays every flush of A's journal by {@link #SAVE_DELAY} (the write before it is
 * not delayed, so the journal's new line shows that the save has begun and not ended). While it is
 * saving, hostile clients from other addresses fill A and keep arriving.
 *
 * <p>The connection saving trust is the oldest on A and its address holds as many as any other, so
 * it is the one a server that did not spare it would evict first. Needs strace; skipped without.
 */
final class SavingTrustIT {
  private static final Path STRACE = Path.of("/usr/bin/strace");
  private static final Duration BOUND = Duration.ofSeconds(10);

  /**
   * How long each flush of A's journal is delayed. The test checks that everything it saw happened
   * within this time of starting the pairing, so while A was still saving.
   */
  private static final Duration SAVE_DELAY = Duration.ofSeconds(8);

  @TempDir static Path identities;
  private static SSLContext client;

  @TempDir Path dir;
  private LiveDaemon a;
  private LiveDaemon b;
  private final List<RawConnection> held = new ArrayList<>();

  @BeforeAll
  static void identity() {
    assumeTrue(Files.isExecutable(STRACE), "needs strace to slow down paird's save");
    client = JdkTls.context(OpenSslCli.newSelfSigned(identities, "mallory", KeyType.EC_P256));
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (RawConnection connection : held) {
      connection.close();
    }
    if (a != null) {
      // paird itself, under strace, killed: a clean stop would compact the list, flushing the
      // journal again, which strace would delay too. strace ends with it.
      a.process.process.children().forEach(ProcessHandle::destroyForcibly);
    }
    LiveDaemon.closeAll(a, b);
  }

  /**
   * A has room for 4. B's connection is saving trust; 3 hostile connections from 3 other addresses
   * fill A; then 4 more arrive one by one. Each newcomer evicts the oldest hostile connection
   * (which is told ERROR(BUSY)), never B's, and the pairing completes on both sides.
   */
  @Test
  void full_newcomersEvictOtherConnections_neverTheOneSavingTrust() throws Exception {
    startBoth("max_connections = 4", "max_connections_per_source = 4");
    long started = System.nanoTime();
    try (Pairctl.Running pairing = pairWhileASaves()) {
      for (int host = 1; host <= 3; host++) {
        held.add(RawConnection.open(client, source(host), a.pairingPort, BOUND));
        a.awaitEstablished(1 + held.size());
      }
      List<Received> evicted = new ArrayList<>();
      for (int host = 4; host <= 7; host++) {
        held.add(RawConnection.open(client, source(host), a.pairingPort, BOUND));
        a.awaitEstablished(4);
        evicted.add(held.get(host - 4).readToEnd(BOUND));
      }
      long checked = System.nanoTime();

      assertThat(evicted)
          .as("what the 4 oldest hostile connections got, each as a newcomer arrived")
          .allMatch(r -> r.hex().equals(Wire.hex(Wire.ERROR_BUSY)), "ERROR(BUSY)")
          .allMatch(r -> r.ending() == RawConnection.Ending.EOF, "then closed");
      assertStillSaving(started, checked);
      assertPairedBothWays(pairing, started);
    }
  }

  /**
   * A has room for 1, taken by B's connection while it saves trust: a newcomer is closed before TLS
   * rather than admitted at its expense, and the pairing completes on both sides. Once the save has
   * ended, the same newcomer is admitted.
   */
  @Test
  void full_ofConnectionsSavingTrust_aNewcomerIsClosedBeforeTls() throws Exception {
    startBoth("max_connections = 1", "max_connections_per_source = 4");
    long started = System.nanoTime();
    try (Pairctl.Running pairing = pairWhileASaves()) {
      Throwable newcomer =
          catchThrowable(() -> RawConnection.open(client, source(1), a.pairingPort, BOUND).close());
      long checked = System.nanoTime();

      // Closed by the server (EOF or reset during the handshake), not left hanging until the bound.
      assertThat(newcomer)
          .as("a newcomer while the only connection saves trust")
          .isInstanceOf(IOException.class)
          .isNotInstanceOf(SocketTimeoutException.class);
      assertStillSaving(started, checked);
      assertPairedBothWays(pairing, started);
    }
    a.awaitStatus(status -> status.path("pairing_connections").intValue() == 0);
    held.add(RawConnection.open(client, source(1), a.pairingPort, BOUND));
  }

  /**
   * Starts A, with {@code limits}, deadlines long enough that only the limits end a connection and
   * every flush of its journal delayed; and B.
   */
  private void startBoth(String... limits) throws Exception {
    Path journal = dir.toRealPath().resolve("a/state/trusted.journal");
    List<String> settings =
        new ArrayList<>(
            List.of(
                "first_frame_timeout = 1m",
                "exchange_timeout = 1m",
                "rate_limit_per_minute = 6000"));
    settings.addAll(List.of(limits));
    a =
        LiveDaemon.start(
            dir,
            "a",
            options ->
                options.wrapper(
                    List.of(
                        STRACE.toString(),
                        "-f",
                        "--seccomp-bpf",
                        "-qq",
                        "-o",
                        "/dev/null",
                        // Only calls on the journal: its flush when a peer is saved.
                        "-P",
                        journal.toString(),
                        "-e",
                        "trace=fsync,fdatasync",
                        "-e",
                        "inject=fsync,fdatasync:delay_enter=" + SAVE_DELAY.toNanos() / 1000,
                        "--")),
            settings.toArray(String[]::new));
    b = LiveDaemon.start(dir, "b");
  }

  /**
   * Starts {@code pairctl pair} on B with a key of A's, and returns once A is saving B's trust: the
   * journal holds its line, whose flush strace holds back, and B's connection is the only one A
   * counts, past its handshake.
   */
  private Pairctl.Running pairWhileASaves() throws Exception {
    String key = a.newKey().path("key").textValue();
    b.keys.add(key);
    Pairctl.Running pairing = b.ctl.start("--json", "pair", a.address, key);
    Path journal = dir.resolve("a/state/trusted.journal");
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (!Files.exists(journal) || Files.size(journal) == 0) {
      assertThat(System.nanoTime()).as("A began saving B's trust in time").isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // between looks at the journal
    }
    a.awaitEstablished(1);
    return pairing;
  }

  /**
   * Everything the test saw happened while A was still saving: A's flush began after {@code
   * started} and strace held it for {@link #SAVE_DELAY}, so the save cannot have ended before.
   */
  private static void assertStillSaving(long started, long checked) {
    assertThat(Duration.ofNanos(checked - started))
        .as("the checks ended before A's save could have")
        .isLessThan(SAVE_DELAY);
  }

  /**
   * The pairing ends, and each side trusts the other. It took at least {@link #SAVE_DELAY}: A's
   * save was slowed indeed.
   */
  private void assertPairedBothWays(Pairctl.Running pairing, long started) throws Exception {
    Pairctl.Result result = pairing.finish();
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("the pairing, with A's save slowed")
        .isGreaterThanOrEqualTo(SAVE_DELAY);
    assertThat(result.status()).as(result.err()).isZero();
    assertThat(a.trusted()).containsExactly(fingerprint(b));
    assertThat(b.trusted()).containsExactly(fingerprint(a));
  }

  private static String fingerprint(LiveDaemon paird) throws Exception {
    return paird.ctl.look(Command.STATUS).path("fingerprint").textValue();
  }
}
