package dev.paird.daemon;

import io.netty.channel.epoll.Epoll;
import io.netty.handler.ssl.OpenSsl;

/**
 * Loads what start-up needs last on a second thread while the main one reads the configuration,
 * sets up logging and reads the identity and the trusted list: Netty's epoll library and BoringSSL
 * (the largest single cost of a start: unpacking and loading the library and probing it). On a
 * machine with two cores that overlaps about half of paird's start.
 *
 * <p>Nothing here decides anything: the main thread asks the same questions again when it needs the
 * answers ({@code Epoll.isAvailable()}, {@code OpenSsl.isAvailable()}) and reports a failure
 * itself; the JVM's class initialisation makes the second asker wait for the first.
 */
final class Warmup {
  private Warmup() {}

  static void start() {
    Thread thread =
        new Thread(
            () -> {
              try {
                Epoll.isAvailable();
                OpenSsl.isAvailable();
              } catch (RuntimeException | LinkageError e) {
                // The main thread meets the same failure when it needs the part, and says so.
              }
            },
            "paird-warmup");
    thread.setDaemon(true);
    thread.start();
  }
}
