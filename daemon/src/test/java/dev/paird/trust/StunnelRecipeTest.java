package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.paird.testing.Processes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stunnel recipe of docs/INTEGRATION.md, run as written over loopback: stunnel in front of a
 * TCP service with the configuration of the document, taking client certificates from {@code
 * trusted-certs/} and its own certificate and key from the copies that the document's program
 * 40-device-copies makes; the document's programs run as paird-trust-changed.service runs them,
 * with a systemctl that sends stunnel SIGHUP. {@code openssl s_client} is the paired device,
 * checking stunnel against its own {@code trusted.pem}. Skipped where stunnel is not installed.
 */
final class StunnelRecipeTest {
  private static final Path STUNNEL = Path.of("/usr/bin/stunnel");
  private static final String CONFIGURATION = "; /etc/stunnel/paird.conf";

  /** A fixed port, because stunnel's configuration names one. */
  private static final int PORT = 42510;

  private static final long PATIENCE_SECONDS = 30;

  @TempDir Path dir;
  private final ExecutorService backend = Executors.newSingleThreadExecutor();
  private Path copies;
  private Path calls;
  private Path pidFile;
  private TrustChangedPrograms programs;
  private Process stunnel;

  @BeforeEach
  void setUp() throws IOException {
    copies = Files.createDirectory(dir.resolve("paird-trust-changed"));
    calls = dir.resolve("systemctl-calls");
    pidFile = dir.resolve("stunnel.pid");
    // systemctl reload stunnel4 sends stunnel SIGHUP, as Debian's stunnel4 reload does; before
    // stunnel runs, it only notes the call.
    programs =
        new TrustChangedPrograms(
            dir,
            String.join(
                "\n",
                "echo \"$*\" >> " + calls,
                "if [ \"$*\" = \"reload stunnel4\" ] && [ -s " + pidFile + " ]; then",
                "  exec kill -HUP \"$(cat " + pidFile + ")\"",
                "fi"),
            TrustChangedPrograms.DEVICE_COPIES,
            TrustChangedPrograms.STUNNEL);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (stunnel != null) {
      RecipeServers.stop(stunnel);
    }
    backend.shutdownNow();
  }

  @Test
  void stunnel_pairedClientReachesTheService_andAnUnpairedOneDoesNot() throws Exception {
    assumeThat(Files.isExecutable(STUNNEL)).as("stunnel is installed").isTrue();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    Path stranger = RecipeDevices.device(dir, "stranger");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    RecipeDevices.trust(stranger, a);
    try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      backend.submit(() -> serveHello(service));
      startStunnel(a, service.getLocalPort());

      assertThat(client(b)).as("the paired device").contains("hello from the service");
      assertThat(client(stranger)).as("an unpaired device").doesNotContain("hello");
    }
  }

  @Test
  void stunnel_removedDevice_isRefusedAfterTheReload() throws Exception {
    assumeThat(Files.isExecutable(STUNNEL)).as("stunnel is installed").isTrue();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    // A second peer, so that removing b leaves a list that still has a peer in it.
    Path other = RecipeDevices.device(dir, "phone");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(a, other);
    RecipeDevices.trust(b, a);
    try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      backend.submit(() -> serveHello(service));
      startStunnel(a, service.getLocalPort());
      assertThat(client(b)).as("while paired").contains("hello from the service");

      RecipeDevices.untrust(a, b);
      reload(a);

      assertThat(client(b)).as("once removed").doesNotContain("hello");
    }
  }

  @Test
  void stunnel_lastPeerRemoved_isRefusedAfterTheReload() throws Exception {
    // stunnel refuses an empty CAfile at a reload and keeps its old configuration, which still
    // admits the peer removed: the program gives it the device's own certificate instead.
    assumeThat(Files.isExecutable(STUNNEL)).as("stunnel is installed").isTrue();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      backend.submit(() -> serveHello(service));
      startStunnel(a, service.getLocalPort());
      assertThat(client(b)).as("while paired").contains("hello from the service");

      RecipeDevices.untrust(a, b);
      assertThat(a.resolve("trusted.pem")).isEmptyFile();
      reload(a);

      assertThat(client(b)).as("once removed").doesNotContain("hello");
    }
  }

  @Test
  void stunnel_linkInTrustedCerts_isNeverOpenedByStunnel() throws Exception {
    // stunnel runs as root: whatever it opens in a directory of the user paird's, that user
    // chooses, a device (opening /dev/watchdog arms it) or a FIFO (the handshake waits for a
    // writer). Here a link named by the stranger's subject hash, where OpenSSL looks its issuer
    // up in a CApath, to a FIFO whose writer waits for anyone to open it.
    assumeThat(Files.isExecutable(STUNNEL)).as("stunnel is installed").isTrue();
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    Path stranger = RecipeDevices.device(dir, "stranger");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    RecipeDevices.trust(stranger, a);
    String hash =
        Processes.run(
                "openssl",
                "x509",
                "-noout",
                "-hash",
                "-in",
                stranger.resolve("identity/cert.pem").toString())
            .output()
            .strip();
    assertThat(hash).matches("[0-9a-f]{8}");
    try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        BlockedFifoWriter writer = new BlockedFifoWriter(dir.resolve("fifo"))) {
      Files.createSymbolicLink(a.resolve("trusted-certs/" + hash + ".0"), dir.resolve("fifo"));
      backend.submit(() -> serveHello(service));
      startStunnel(a, service.getLocalPort());

      assertThat(client(stranger)).as("an unpaired device").doesNotContain("hello");
      assertThat(writer.blocked())
          .as("the writer, still waiting for anyone to open the FIFO")
          .isTrue();
      assertThat(client(b)).as("the paired device").contains("hello from the service");
    }
  }

  @Test
  void stunnel_noDeviceCopies_isNotReloaded() throws Exception {
    // 40-device-copies refuses a key that is a directory, and has never made copies before.
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Files.move(a.resolve("identity/key.pem"), a.resolve("identity/key.pem.aside"));
    Files.createDirectory(a.resolve("identity/key.pem"));

    TrustChangedPrograms.Run run = programs.run(a, copies);

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("50-stunnel: no copies of the device's certificate and key");
    assertThat(calls).doesNotExist();
  }

  /**
   * Runs the recipe's programs, whose systemctl sends stunnel SIGHUP, and waits until stunnel's log
   * says the configuration was read again.
   */
  private void reload(Path server) throws Exception {
    Path log = dir.resolve("stunnel.log");
    long loaded = configurations(log);
    TrustChangedPrograms.Run run = programs.run(server, copies);
    assertThat(run.exitStatus()).as(run.output()).isZero();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
    while (configurations(log) == loaded) {
      assertThat(stunnel.isAlive() && System.nanoTime() < deadline)
          .as("stunnel read its configuration again: %s", Files.readString(log))
          .isTrue();
      // A poll interval between looks at the log, not a guess at when the reload is done.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }

  /** How many times stunnel's log says it loaded its configuration. */
  private static long configurations(Path log) throws IOException {
    return Files.readAllLines(log).stream()
        .filter(line -> line.contains("Configuration successful"))
        .count();
  }

  /**
   * Runs the recipe's programs, as after adding them, then starts stunnel in the foreground with
   * the recipe's configuration, its paths in this test's directories and its ports on loopback.
   */
  private void startStunnel(Path server, int servicePort) throws Exception {
    TrustChangedPrograms.Run run = programs.run(server, copies);
    assertThat(run.exitStatus()).as(run.output()).isZero();
    assertThat(Files.readAllLines(calls)).containsExactly("reload stunnel4");
    String recipe = String.join("\n", TrustChangedPrograms.docBlock(CONFIGURATION)) + "\n";
    String configuration =
        replaced(
                replaced(recipe, "accept  = 8444", "accept  = 127.0.0.1:" + PORT),
                "connect = 127.0.0.1:8080",
                "connect = 127.0.0.1:" + servicePort)
            .replace("/var/lib/paird-trust-changed/", copies + "/")
            .replace("/var/lib/paird/", server + "/");
    assertThat(
            configuration
                .lines()
                .filter(line -> line.matches("(cert|key)\\s*=.*"))
                .map(line -> Path.of(line.substring(line.indexOf('=') + 1).strip())))
        .as("stunnel's certificate and key: copies, never identity/ itself")
        .hasSize(2)
        .allSatisfy(file -> assertThat(file).hasParent(copies).isRegularFile());
    Path config = dir.resolve("stunnel.conf");
    Files.writeString(config, "foreground = yes\npid =\n" + configuration);
    stunnel =
        new ProcessBuilder(STUNNEL.toString(), config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("stunnel.log").toFile())
            .start();
    Files.writeString(pidFile, Long.toString(stunnel.pid()));
    RecipeServers.awaitListening(stunnel, PORT, dir.resolve("stunnel.log"));
  }

  /** {@code text} with {@code line} replaced; fails if {@code text} has no such line. */
  private static String replaced(String text, String line, String replacement) {
    assertThat(text.lines()).as("the stunnel recipe").contains(line);
    return text.replace(line + "\n", replacement + "\n");
  }

  private static Void serveHello(ServerSocket service) throws IOException {
    while (!service.isClosed()) {
      try (Socket connection = service.accept();
          OutputStream out = connection.getOutputStream()) {
        out.write("hello from the service\n".getBytes(StandardCharsets.US_ASCII));
      }
    }
    return null;
  }

  /**
   * What a device reads through stunnel with openssl s_client, checking stunnel by name; s_client
   * is stopped after {@link #PATIENCE_SECONDS}, for a handshake that stunnel never ends.
   */
  private static String client(Path device) {
    return Processes.run(
            "timeout",
            Long.toString(PATIENCE_SECONDS),
            "openssl",
            "s_client",
            "-quiet",
            "-connect",
            "127.0.0.1:" + PORT,
            "-cert",
            device.resolve("identity/cert.pem").toString(),
            "-key",
            device.resolve("identity/key.pem").toString(),
            "-no-CApath",
            "-no-CAstore",
            "-CAfile",
            device.resolve("trusted.pem").toString(),
            "-verify_hostname",
            "kitchen-pi",
            "-verify_return_error")
        .output();
  }
}
