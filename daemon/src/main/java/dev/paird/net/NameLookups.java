package dev.paird.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The name lookups of {@code pair} and {@code ping}, off the event loops since the JDK resolver
 * blocks: at most {@link #AT_ONCE} in progress, none queued.
 *
 * <p>The bound counts lookups, not threads: a lookup gives its place back the moment the resolver
 * returns, before its result is handed on. The threads ({@link #newThreadPool()}) are twice as
 * many, so that a thread still handing on a result (completing the future runs what waits on it)
 * never turns a new lookup away while fewer than {@link #AT_ONCE} are in progress.
 */
public final class NameLookups {
  /** Lookups in progress at once. */
  public static final int AT_ONCE = 4;

  /** What looks a name up: the JDK resolver, or a stand-in in tests. */
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final Executor threads;
  private final Semaphore places;
  private final Resolver resolver;

  /** Lookups of at most {@code atOnce} at a time on {@code threads}, by {@code resolver}. */
  NameLookups(Executor threads, int atOnce, Resolver resolver) {
    this.threads = threads;
    this.places = new Semaphore(atOnce);
    this.resolver = resolver;
  }

  /** {@link #AT_ONCE} lookups at a time on {@code threads}, by the JDK resolver. */
  NameLookups(Executor threads) {
    this(threads, AT_ONCE, InetAddress::getAllByName);
  }

  /**
   * Threads for these lookups: up to twice {@link #AT_ONCE}, made when needed and ended after 30 s
   * idle, daemon threads, with no queue.
   */
  public static ThreadPoolExecutor newThreadPool() {
    return new ThreadPoolExecutor(
        0,
        2 * AT_ONCE,
        30,
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        runnable -> {
          Thread thread = new Thread(runnable, "paird-resolver");
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * Starts looking {@code host} up: the future has its addresses, or fails with the resolver's
   * {@link UnknownHostException}. Empty, and nothing started, when {@link #AT_ONCE} lookups are in
   * progress (or, which the spare threads make all but impossible, no thread is free).
   */
  Optional<CompletableFuture<InetAddress[]>> lookUp(String host) {
    if (!places.tryAcquire()) {
      return Optional.empty();
    }
    CompletableFuture<InetAddress[]> addresses = new CompletableFuture<>();
    try {
      threads.execute(() -> resolve(host, addresses));
    } catch (RejectedExecutionException e) {
      places.release();
      return Optional.empty();
    }
    return Optional.of(addresses);
  }

  private void resolve(String host, CompletableFuture<InetAddress[]> addresses) {
    InetAddress[] found;
    try {
      found = resolver.resolve(host);
    } catch (UnknownHostException | RuntimeException e) {
      // Anything but a name that cannot be resolved is the caller's to report, as internal.
      places.release();
      addresses.completeExceptionally(e);
      return;
    } catch (Error e) {
      places.release();
      addresses.completeExceptionally(e);
      throw e;
    }
    places.release();
    addresses.complete(found);
  }
}
