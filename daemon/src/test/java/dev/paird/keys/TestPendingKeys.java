package dev.paird.keys;

import dev.paird.api.HmacCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.function.Supplier;

/** Pending keys whose hmac keys a test chooses, for tests outside this package. */
public final class TestPendingKeys {
  private TestPendingKeys() {}

  /**
   * Pending keys that issue the hmac keys {@code hmacKeys} supplies, and spake2 codes as the daemon
   * draws them.
   */
  public static PendingKeys withHmacKeys(
      int maxPending,
      int maxAttempts,
      InstantSource clock,
      SecureRandom random,
      Supplier<HmacCode> hmacKeys) {
    return new PendingKeys(
        maxPending,
        maxAttempts,
        clock,
        System::nanoTime,
        random,
        (suite, slot) ->
            suite == Suite.HMAC
                ? hmacKeys.get()
                : Spake2Code.generate(random, slot, Spake2Code.DEFAULT_SECRET_DIGITS));
  }
}
