package dev.paird.testing;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Two {@link EmbeddedChannel}s joined back to back as if by a TCP connection, without sockets: what
 * one writes the other reads, and once one side has closed, the other sees the connection end after
 * it has read everything sent before. Nothing moves until {@link #run} is called, so a test can
 * stop between flights and look.
 */
public final class LinkedChannels implements AutoCloseable {
  /** A TLS 1.3 handshake and a pairing exchange take a few flights; many more is a hang. */
  private static final int MAX_ROUNDS = 32;

  private final EmbeddedChannel server;
  private final EmbeddedChannel client;
  private final List<Throwable> failures = new ArrayList<>();

  /** Links two channels; what either has written so far moves with the first {@link #run}. */
  public LinkedChannels(EmbeddedChannel server, EmbeddedChannel client) {
    this.server = server;
    this.client = client;
  }

  public EmbeddedChannel server() {
    return server;
  }

  public EmbeddedChannel client() {
    return client;
  }

  /** Moves bytes both ways until neither side has anything left to send. */
  public void run() {
    run(() -> false);
  }

  /**
   * Moves bytes both ways, and runs {@code elsewhere} (work outside the channels, such as a held
   * disk write; it returns whether it did anything) between rounds, until nothing moves.
   *
   * @throws AssertionError if the two sides are still talking after {@value #MAX_ROUNDS} rounds
   */
  public void run(BooleanSupplier elsewhere) {
    for (int round = 0; round < MAX_ROUNDS; round++) {
      boolean moved = forward(client, server);
      moved |= forward(server, client);
      moved |= elsewhere.getAsBoolean();
      if (!moved) {
        return;
      }
    }
    throw new AssertionError("still exchanging after " + MAX_ROUNDS + " rounds");
  }

  /**
   * What reached the end of a pipeline unhandled while bytes were moved, in order: for pipelines
   * without a handler of their own that consumes failures.
   */
  public List<Throwable> failures() {
    return failures;
  }

  private boolean forward(EmbeddedChannel from, EmbeddedChannel to) {
    from.runPendingTasks();
    boolean moved = false;
    for (Object message; (message = from.readOutbound()) != null; ) {
      moved = true;
      if (!to.isOpen()) {
        ReferenceCountUtil.release(message); // the other side is gone; so are these bytes
        continue;
      }
      try {
        to.writeInbound(message);
      } catch (Exception e) {
        failures.add(e);
      }
    }
    if (!from.isOpen() && to.isOpen()) {
      to.close();
      moved = true;
    }
    return moved;
  }

  @Override
  public void close() {
    for (EmbeddedChannel channel : List.of(server, client)) {
      channel.close();
      channel.releaseInbound();
      channel.releaseOutbound();
    }
  }
}
