package dev.paird.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP port that holds one client as long as it can: a tarpit, which accepts the
 * connection and never sends a byte, or a relay in front of a real server that passes on what the
 * client sends at once but what the server sends one byte at a time, {@code interval} apart. Each
 * byte arrives well before any per-read idle timer could fire, so only a deadline on the whole
 * handshake or exchange ends the connection. It records how long the client stayed.
 */
final class Trickler implements AutoCloseable {
  private final ServerSocket listener;
  private final Optional<InetSocketAddress> upstream;
  private final Duration interval;
  private final AtomicInteger trickled = new AtomicInteger();
  private final CompletableFuture<Duration> held = new CompletableFuture<>();

  private Trickler(ServerSocket listener, Optional<InetSocketAddress> upstream, Duration interval) {
    this.listener = listener;
    this.upstream = upstream;
    this.interval = interval;
  }

  /** Accepts one connection on 127.0.0.1 and sends it nothing. */
  static Trickler tarpit() throws IOException {
    return start(Optional.empty(), Duration.ZERO);
  }

  /** Relays one connection to {@code server}, its answer one byte every {@code interval}. */
  static Trickler relay(InetSocketAddress server, Duration interval) throws IOException {
    return start(Optional.of(server), interval);
  }

  private static Trickler start(Optional<InetSocketAddress> upstream, Duration interval)
      throws IOException {
    Trickler trickler =
        new Trickler(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()), upstream, interval);
    Thread thread = new Thread(trickler::serve, "trickler");
    thread.setDaemon(true);
    thread.start();
    return trickler;
  }

  /** {@code 127.0.0.1:PORT}, as pairctl takes it. */
  String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  /**
   * How long the client stayed connected, from the accept to its close or reset, waited for at most
   * {@code bound}.
   */
  Duration held(Duration bound) throws Exception {
    return held.get(bound.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** How many of the server's bytes reached the client. */
  int trickled() {
    return trickled.get();
  }

  private void serve() {
    try (Socket client = listener.accept()) {
      long accepted = System.nanoTime();
      Socket server = new Socket();
      try (server) {
        if (upstream.isPresent()) {
          server.connect(upstream.get());
          Thread slow = new Thread(() -> trickle(server, client), "trickler-server-to-client");
          slow.setDaemon(true);
          slow.start();
        }
        InputStream in = client.getInputStream();
        byte[] buffer = new byte[4096];
        try {
          for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            if (upstream.isPresent()) {
              server.getOutputStream().write(buffer, 0, n);
            }
          }
        } catch (IOException reset) {
          // A reset ends the client's stay as well as a close.
        }
        held.complete(Duration.ofNanos(System.nanoTime() - accepted));
      }
    } catch (IOException | RuntimeException e) {
      held.completeExceptionally(e);
    }
  }

  /** Passes what the server sends on to the client one byte at a time, until either end closes. */
  private void trickle(Socket server, Socket client) {
    try {
      trickle(server.getInputStream(), client.getOutputStream(), interval, trickled);
    } catch (IOException e) {
      // One end closed: the other thread records the client's close.
    }
  }

  /**
   * Copies {@code in} to {@code out} one byte at a time, {@code interval} apart, counting each byte
   * written in {@code count}, until {@code in} ends or either side fails (the reader hung up).
   */
  static void trickle(InputStream in, OutputStream out, Duration interval, AtomicInteger count) {
    try {
      for (int b = in.read(); b >= 0; b = in.read()) {
        out.write(b);
        out.flush();
        count.incrementAndGet();
        // The pause is the attack, not a wait for something: the pace of the trickle.
        Thread.sleep(interval.toMillis());
      }
    } catch (IOException e) {
      // The reader hung up (or the source failed): what was written is the record.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
