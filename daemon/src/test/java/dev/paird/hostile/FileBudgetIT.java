package dev.paird.hostile;

import static dev.paird.hostile.LiveDaemon.source;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * paird's limit on open files against what its settings let connections take: below the sum it
 * refuses to start and says why; at exactly the sum, with every connection slot taken, it still
 * pairs and answers. Real pairds under {@code prlimit}, held open by raw TLS and Unix sockets.
 */
final class FileBudgetIT {
  private static final Duration BOUND = Duration.ofSeconds(10);

  /** 64 at rest, 8 pairing connections, twice 4 control connections, 16 for lookups and writes. */
  private static final int BUDGET = 64 + 8 + 2 * 4 + 16;

  @TempDir Path dir;
  private LiveDaemon a;
  private LiveDaemon b;
  private PairdProcess refused;
  private final List<AutoCloseable> held = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable connection : held) {
      connection.close();
    }
    if (refused != null) {
      refused.close();
    }
    LiveDaemon.closeAll(a, b);
  }

  @Test
  void limitBelowTheSettingsSum_isRefusedAtStartNamingTheSumAndTheSettings() throws Exception {
    Path home = Files.createDirectories(dir.resolve("low"));
    refused =
        PairdProcess.in(home)
            .identity(OpenSslCli.newSelfSigned(home, "low", KeyType.EC_P256))
            .wrapper(List.of("prlimit", "--nofile=150:150", "--"))
            .launch();

    int status = refused.awaitExit();

    assertThat(status).as("exit status; log:\n%s", refused.log()).isEqualTo(78);
    assertThat(refused.log())
        .contains("paird may need 208 open files")
        .contains("max_connections = 64")
        .contains("control_max_connections = 32")
        .contains("may open only 150")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(home.resolve("state")).doesNotExist();
  }

  @Test
  void limitAtTheSettingsSum_everySlotTaken_stillPairsAndAnswers() throws Exception {
    a =
        LiveDaemon.start(
            dir,
            "a",
            options ->
                options.wrapper(List.of("prlimit", "--nofile=" + BUDGET + ":" + BUDGET, "--")),
            "max_connections = 8",
            "max_connections_per_source = 8",
            "control_max_connections = 4",
            "rate_limit_per_minute = 6000",
            "first_frame_timeout = 1m",
            "exchange_timeout = 1m");
    b = LiveDaemon.start(dir, "b");
    String key = a.newKey().path("key").textValue();
    SSLContext tls = JdkTls.context(OpenSslCli.newSelfSigned(dir, "mallory", KeyType.EC_P256));
    for (int i = 0; i < 7; i++) {
      held.add(RawConnection.open(tls, source(1), a.pairingPort, BOUND));
    }
    for (int i = 0; i < 3; i++) {
      SocketChannel control = SocketChannel.open(StandardProtocolFamily.UNIX);
      held.add(control);
      control.connect(UnixDomainSocketAddress.of(a.socket));
    }

    Pairctl.Result paired = b.pair(a.address, key);

    assertThat(paired.status()).as("pairctl pair: %s", paired).isZero();
    assertThat(a.trusted()).containsExactly(OpenSslCli.fingerprint(b.identity.cert()));
    // Nothing went wrong on the way, such as an accept or a file the limit refused.
    assertThat(a.process.log().lines().filter(line -> !line.contains(" INFO  ")))
        .as("A's log lines above INFO")
        .isEmpty();
  }
}
