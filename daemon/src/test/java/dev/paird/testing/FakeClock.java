package dev.paird.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A wall clock and a monotonic ticker that move only when a test says so, so expiry is tested
 * without sleeping. {@link #advance} moves both; {@link #stepWallClock} moves only the wall clock,
 * as an administrator or NTP stepping the system time would.
 */
public final class FakeClock implements InstantSource {
  private final AtomicReference<Instant> now;
  private final AtomicLong ticks = new AtomicLong(1_000_000_000L);

  public FakeClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  public FakeClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  /** The monotonic ticker, in nanoseconds, as {@link System#nanoTime}. */
  public long nanoTime() {
    return ticks.get();
  }

  public void advance(Duration by) {
    now.updateAndGet(t -> t.plus(by));
    ticks.addAndGet(by.toNanos());
  }

  public void stepWallClock(Duration by) {
    now.updateAndGet(t -> t.plus(by));
  }
}
