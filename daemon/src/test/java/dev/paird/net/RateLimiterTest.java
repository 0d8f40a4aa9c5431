package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

final class RateLimiterTest {
  private static final int PER_MINUTE = 6;

  /** The time one token takes to come back at {@link #PER_MINUTE}. */
  private static final long ONE_TOKEN_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final AtomicLong now = new AtomicLong(123_456_789L);
  private final RateLimiter limiter = new RateLimiter(PER_MINUTE, now::get);

  @Test
  void tryAcquire_burstOfPerMinute_admittedAndTheNextRefused() throws Exception {
    InetAddress source = address("192.0.2.1");

    for (int i = 0; i < PER_MINUTE; i++) {
      assertThat(limiter.tryAcquire(source)).as("connection %d", i + 1).isTrue();
    }
    assertThat(limiter.tryAcquire(source)).isFalse();
  }

  @Test
  void tryAcquire_afterOneTokensWorthOfTime_admitsExactlyOneMore() throws Exception {
    InetAddress source = address("192.0.2.1");
    exhaust(source);

    now.addAndGet(ONE_TOKEN_NANOS - 1);
    assertThat(limiter.tryAcquire(source)).as("just before the token is back").isFalse();
    now.addAndGet(1);
    assertThat(limiter.tryAcquire(source)).isTrue();
    assertThat(limiter.tryAcquire(source)).isFalse();
  }

  @Test
  void tryAcquire_refusedAttempts_doNotDelayTheRefill() throws Exception {
    InetAddress source = address("192.0.2.1");
    exhaust(source);

    for (int i = 0; i < 9; i++) {
      now.addAndGet(ONE_TOKEN_NANOS / 10);
      assertThat(limiter.tryAcquire(source)).isFalse();
    }
    // Tokens are fractional doubles; tenths of a token added ten times fall short by ~1e-16.
    now.addAndGet(ONE_TOKEN_NANOS / 10 + 1_000);

    assertThat(limiter.tryAcquire(source)).isTrue();
  }

  @Test
  void tryAcquire_afterALongIdle_refillsToPerMinuteAndNoMore() throws Exception {
    InetAddress source = address("192.0.2.1");
    exhaust(source);

    now.addAndGet(TimeUnit.HOURS.toNanos(1));

    assertThat(admittedInARow(source)).isEqualTo(PER_MINUTE);
  }

  @ParameterizedTest(name = "{0} then {1}")
  @CsvSource({"192.0.2.1, 192.0.2.2", "2001:db8:1:2::1, 2001:db8:1:3::1"})
  void tryAcquire_anotherHostOrIpv6Slash64_hasItsOwnBucket(String first, String other)
      throws Exception {
    exhaust(address(first));

    assertThat(admittedInARow(address(other))).isEqualTo(PER_MINUTE);
  }

  @Test
  void tryAcquire_ipv6InTheSame64_sharesOneBucket() throws Exception {
    exhaust(address("2001:db8:1:2::1"));

    assertThat(limiter.tryAcquire(address("2001:db8:1:2:ffff:ffff:ffff:fffe"))).isFalse();
    assertThat(limiter.sources()).isEqualTo(1);
  }

  @Test
  void tryAcquire_ipv4MappedIpv6_countsAsTheIpv4Address() throws Exception {
    exhaust(address("192.0.2.1"));

    assertThat(limiter.tryAcquire(mapped(192, 0, 2, 1))).isFalse();
    assertThat(limiter.tryAcquire(mapped(192, 0, 2, 2))).as("another IPv4 host").isTrue();
    assertThat(limiter.sources()).isEqualTo(2);
  }

  @Test
  void tryAcquire_moreSourcesThanTheTableHolds_keepsTheTableAtItsBound() throws Exception {
    for (int i = 0; i < RateLimiter.MAX_SOURCES + 500; i++) {
      limiter.tryAcquire(ipv4(i));
    }

    assertThat(limiter.sources()).isEqualTo(RateLimiter.MAX_SOURCES);
  }

  @Test
  void tryAcquire_tableFull_forgetsTheLeastRecentlySeenSource() throws Exception {
    InetAddress busy = address("198.51.100.1");
    InetAddress quiet = address("198.51.100.2");
    exhaust(busy);
    exhaust(quiet);
    for (int i = 0; i < RateLimiter.MAX_SOURCES - 2; i++) {
      limiter.tryAcquire(ipv4(i));
    }
    assertThat(limiter.tryAcquire(busy)).as("seen again, so the most recent").isFalse();

    limiter.tryAcquire(ipv4(RateLimiter.MAX_SOURCES)); // one more than fits: one must go

    assertThat(limiter.sources()).isEqualTo(RateLimiter.MAX_SOURCES);
    assertThat(limiter.tryAcquire(busy)).as("still remembered").isFalse();
    assertThat(limiter.tryAcquire(quiet)).as("forgotten, so a fresh bucket").isTrue();
  }

  private void exhaust(InetAddress source) {
    assertThat(admittedInARow(source)).isEqualTo(PER_MINUTE);
  }

  private int admittedInARow(InetAddress source) {
    int admitted = 0;
    while (limiter.tryAcquire(source)) {
      admitted++;
      assertThat(admitted).as("admitted without end").isLessThanOrEqualTo(PER_MINUTE * 10);
    }
    return admitted;
  }

  private static InetAddress address(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  /** A distinct IPv4 address in 10.0.0.0/8 for each {@code i}. */
  private static InetAddress ipv4(int i) throws Exception {
    return InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
  }

  /**
   * {@code ::ffff:a.b.c.d} as an {@link Inet6Address}: what a dual-stack socket reports for an IPv4
   * peer unless the transport converts it ({@code InetAddress.getByAddress} would).
   */
  private static InetAddress mapped(int a, int b, int c, int d) throws Exception {
    byte[] bytes = new byte[16];
    bytes[10] = (byte) 0xff;
    bytes[11] = (byte) 0xff;
    bytes[12] = (byte) a;
    bytes[13] = (byte) b;
    bytes[14] = (byte) c;
    bytes[15] = (byte) d;
    return Inet6Address.getByAddress(null, bytes, 0);
  }
}
