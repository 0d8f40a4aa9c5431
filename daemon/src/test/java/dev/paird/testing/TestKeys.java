package dev.paird.testing;

import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import java.security.SecureRandom;

/** Pairing keys for tests that need one that is well-formed but wrong. */
public final class TestKeys {
  private TestKeys() {}

  /**
   * A key of the same suite as {@code typed} that is not it: for spake2 the same slot with the
   * first secret digit changed, for hmac a fresh random key.
   */
  public static PairingCode wrongKeyLike(String typed, SecureRandom random) throws PairdException {
    PairingCode real = PairingCode.parse(typed);
    if (real instanceof Spake2Code spake2) {
      byte[] digits = spake2.secretDigits();
      digits[0] = (byte) (digits[0] == '9' ? '8' : digits[0] + 1);
      return Spake2Code.create(spake2.slot(), digits);
    }
    return HmacCode.generate(random);
  }
}
