package dev.paird.trust;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The consumer servers the recipe tests start (stunnel, mosquitto, Go): waiting until they listen,
 * stopping them.
 */
final class RecipeServers {
  private static final long PATIENCE_SECONDS = 30;

  private RecipeServers() {}

  /**
   * Returns once {@code server} accepts connections on loopback {@code port}; fails with its {@code
   * log} if it exits or does not listen in time.
   */
  static void awaitListening(Process server, int port, Path log) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        return;
      } catch (IOException e) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError(
              server.info().command().orElse("the server")
                  + " did not listen: "
                  + Files.readString(log),
              e);
        }
        // A poll interval between attempts, not a guess at when the server is ready.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    }
  }

  /** Stops {@code server}: asks it to (SIGTERM), kills it if it does not exit in time. */
  static void stop(Process server) throws InterruptedException {
    server.destroy();
    if (!server.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
      server.destroyForcibly();
      server.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS);
    }
  }
}
