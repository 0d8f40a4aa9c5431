package dev.paird.net;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per source: {@code perMinute} connections, refilled evenly. IPv6 sources are
 * counted per /64, since one host can hold a whole /64. The table of sources is bounded; when it is
 * full the least recently seen source is forgotten.
 */
final class RateLimiter {
  static final int MAX_SOURCES = 4096;
  private static final long NANOS_PER_MINUTE = 60_000_000_000L;

  private final int perMinute;
  private final LongSupplier nanoTime;
  private final Map<SourceAddress, Bucket> buckets =
      new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<SourceAddress, Bucket> eldest) {
          return size() > MAX_SOURCES;
        }
      };

  private static final class Bucket {
    double tokens;
    long updated;
  }

  RateLimiter(int perMinute, LongSupplier nanoTime) {
    this.perMinute = perMinute;
    this.nanoTime = nanoTime;
  }

  /** Takes one token for {@code address}; false if its bucket is empty. */
  synchronized boolean tryAcquire(InetAddress address) {
    long now = nanoTime.getAsLong();
    Bucket bucket =
        buckets.computeIfAbsent(
            SourceAddress.of(address),
            s -> {
              Bucket fresh = new Bucket();
              fresh.tokens = perMinute;
              fresh.updated = now;
              return fresh;
            });
    double refill = (now - bucket.updated) * (double) perMinute / NANOS_PER_MINUTE;
    bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, refill));
    bucket.updated = now;
    if (bucket.tokens < 1) {
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }

  synchronized int sources() {
    return buckets.size();
  }
}
