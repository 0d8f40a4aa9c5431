package dev.paird.protocol.spake2;

import java.util.Arrays;

/** Shares no honest party sends, for tests of how the other side takes them. */
public final class Spake2Shares {
  private Spake2Shares() {}

  /**
   * {@code w·M} for the code with these secret digits: as a client's share it makes K the identity
   * for a server that knows the same code. Only someone who knows the code can make it.
   */
  public static byte[] blindOfM(byte[] secretDigits) {
    Spake2Scalar w = Spake2Scalar.fromSecretDigits(secretDigits);
    try {
      return P256.encode(P256.multiplyFixed(P256.M, w.value()).normalize());
    } finally {
      w.destroy();
      Arrays.fill(secretDigits, (byte) 0);
    }
  }
}
