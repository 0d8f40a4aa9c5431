package dev.paird.ctl;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * How long pairctl waits before connecting again after paird turned a connection away as {@code
 * busy}: doubling pauses with random jitter, so that many pairctl processes started at once spread
 * out instead of returning together, within a bounded total time.
 */
final class Backoff {
  /** Sleeps; separate so that tests need not. */
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * Retries for up to 2 minutes, pausing 10 ms at first and at most 1 s: two hundred pairctl
   * processes started at once on two cores need more than a minute between them.
   */
  static Backoff standard() {
    return new Backoff(
        Duration.ofMinutes(2),
        Duration.ofMillis(10),
        Duration.ofSeconds(1),
        RealTime.INSTANCE,
        RealTime.INSTANCE,
        ThreadLocalRandom.current());
  }

  /**
   * The system's monotonic clock and sleep; a class, not lambdas, because every pairctl run makes a
   * standard backoff and a lambda's first call costs a bootstrap through java.lang.invoke.
   */
  private static final class RealTime implements LongSupplier, Sleeper {
    static final RealTime INSTANCE = new RealTime();

    @Override
    public long getAsLong() {
      return System.nanoTime();
    }

    @Override
    public void sleep(Duration duration) throws InterruptedException {
      Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
    }
  }

  /** Never retries. */
  static Backoff none() {
    return new Backoff(
        Duration.ZERO,
        Duration.ZERO,
        Duration.ZERO,
        System::nanoTime,
        duration -> {},
        new Random(0));
  }

  private final long budgetNanos;
  private final long firstNanos;
  private final long capNanos;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  private final Random random;
  private final long start;

  /**
   * @param budget the longest time from now that pauses may end at
   * @param first the longest first pause; each further one may be twice as long
   * @param cap the longest any pause may be
   */
  Backoff(
      Duration budget,
      Duration first,
      Duration cap,
      LongSupplier nanoTime,
      Sleeper sleeper,
      Random random) {
    this.budgetNanos = budget.toNanos();
    this.firstNanos = first.toNanos();
    this.capNanos = cap.toNanos();
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
    this.random = random;
    this.start = nanoTime.getAsLong();
  }

  /**
   * Pauses before try number {@code attempt + 1}: between half and all of {@code first * 2^(attempt
   * - 1)}, at most {@code cap}. False, without pausing, if the pause would end after the budget.
   */
  boolean pause(int attempt) {
    long ceiling = capNanos;
    if (attempt - 1 < 62 && firstNanos <= (capNanos >> (attempt - 1))) {
      ceiling = firstNanos << (attempt - 1);
    }
    long half = ceiling / 2;
    long pause = half + random.nextLong(half + 1);
    if (budgetNanos <= 0 || nanoTime.getAsLong() - start + pause > budgetNanos) {
      return false;
    }
    try {
      sleeper.sleep(Duration.ofNanos(pause));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
