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
      stunnel.destroy();
      stunnel.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
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
