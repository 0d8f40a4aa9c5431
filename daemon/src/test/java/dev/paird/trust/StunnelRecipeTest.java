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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stunnel recipe of docs/INTEGRATION.md, run as written over loopback: stunnel in front of a
 * TCP service, taking client certificates from {@code trusted-certs/}; {@code openssl s_client} as
 * the paired device, checking stunnel against its own {@code trusted.pem}. Skipped where stunnel is
 * not installed.
 */
final class StunnelRecipeTest {
  private static final Path STUNNEL = Path.of("/usr/bin/stunnel");

  /** A fixed port, because stunnel's configuration names one. */
  private static final int PORT = 42510;

  private static final long PATIENCE_SECONDS = 30;

  @TempDir Path dir;
  private final ExecutorService backend = Executors.newSingleThreadExecutor();
  private Process stunnel;

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
    // A second peer, so that removing b leaves a list stunnel can load: it refuses an empty
    // CApath at a reload and keeps its old configuration, as the recipe warns.
    Path other = RecipeDevices.device(dir, "phone");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(a, other);
    RecipeDevices.trust(b, a);
    try (ServerSocket service = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      backend.submit(() -> serveHello(service));
      startStunnel(a, service.getLocalPort());
      assertThat(client(b)).as("while paired").contains("hello from the service");

      RecipeDevices.untrust(a, b);
      // What the recipe's trust-changed program does: systemctl reload sends stunnel SIGHUP.
      reload();

      assertThat(client(b)).as("once removed").doesNotContain("hello");
    }
  }

  /** Sends stunnel SIGHUP and waits until its log says the configuration was read again. */
  private void reload() throws Exception {
    Path log = dir.resolve("stunnel.log");
    long loaded = configurations(log);
    Process hup =
        new ProcessBuilder("kill", "-HUP", Long.toString(stunnel.pid())).inheritIO().start();
    assertThat(hup.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS) && hup.exitValue() == 0)
        .as("kill -HUP stunnel")
        .isTrue();
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

  private void startStunnel(Path server, int servicePort) throws Exception {
    Path config = dir.resolve("stunnel.conf");
    Files.writeString(
        config,
        String.join(
            "\n",
            "foreground = yes",
            "pid =",
            "[service]",
            "accept  = 127.0.0.1:" + PORT,
            "connect = 127.0.0.1:" + servicePort,
            "cert    = " + server.resolve("identity/cert.pem"),
            "key     = " + server.resolve("identity/key.pem"),
            "CApath  = " + server.resolve("trusted-certs"),
            "verifyPeer = yes",
            ""));
    stunnel =
        new ProcessBuilder(STUNNEL.toString(), config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("stunnel.log").toFile())
            .start();
    RecipeServers.awaitListening(stunnel, PORT, dir.resolve("stunnel.log"));
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

  /** What a device reads through stunnel with openssl s_client, checking stunnel by name. */
  private static String client(Path device) {
    return Processes.run(
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
