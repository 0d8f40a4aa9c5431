package dev.paird.api;

import java.security.SecureRandom;
import java.util.Random;

/**
 * Runs a check against many random inputs drawn from one seed, and names the seed when the check
 * fails so the failure can be replayed with {@code -Dpaird.test.seed=SEED}.
 */
final class RandomCases {
  interface Check {
    void run(Random random) throws Exception;
  }

  private RandomCases() {}

  static void run(int cases, Check check) throws Exception {
    String fixed = System.getProperty("paird.test.seed");
    long seed = fixed != null ? Long.parseLong(fixed) : new SecureRandom().nextLong();
    Random random = new Random(seed);
    for (int i = 0; i < cases; i++) {
      try {
        check.run(random);
      } catch (AssertionError | Exception e) {
        throw new AssertionError("case " + i + " failed; replay with -Dpaird.test.seed=" + seed, e);
      }
    }
  }

  static int[] symbols(Random random, int length, int radix) {
    int[] symbols = new int[length];
    for (int i = 0; i < length; i++) {
      symbols[i] = random.nextInt(radix);
    }
    return symbols;
  }
}
