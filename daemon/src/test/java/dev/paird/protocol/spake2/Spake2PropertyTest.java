package dev.paird.protocol.spake2;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * SPAKE2 over random secrets, identities, AAD and scalars, including the edge scalars 1 and n-1.
 * Each test draws from one seed and names it on failure; replay with {@code
 * -Dpaird.test.seed=SEED}.
 */
final class Spake2PropertyTest {
  private static final int RUNS = 100;

  /** Everything about a run but the secrets. */
  private record Setting(byte[] idA, byte[] idB, byte[] aad, BigInteger x, BigInteger y) {}

  /** Both sides' confirmations from one run, not yet checked. */
  private record Run(Spake2Confirmation a, Spake2Confirmation b) {}

  private interface Check {
    void run(Random random, int round) throws Exception;
  }

  private static void forSeed(Check check) throws Exception {
    String fixed = System.getProperty("paird.test.seed");
    long seed = fixed != null ? Long.parseLong(fixed) : new SecureRandom().nextLong();
    Random random = new Random(seed);
    for (int round = 0; round < RUNS; round++) {
      try {
        check.run(random, round);
      } catch (AssertionError | Exception e) {
        throw new AssertionError(
            "round " + round + " failed; replay with -Dpaird.test.seed=" + seed, e);
      }
    }
  }

  private static String secret(Random random) {
    StringBuilder digits = new StringBuilder();
    int length = 1 + random.nextInt(12);
    for (int i = 0; i < length; i++) {
      digits.append((char) ('0' + random.nextInt(10)));
    }
    return digits.toString();
  }

  private static byte[] bytes(Random random) {
    byte[] bytes = new byte[random.nextInt(41)];
    random.nextBytes(bytes);
    return bytes;
  }

  /** A scalar in [1, n-1]; the first rounds use the edges. */
  private static BigInteger scalar(Random random, int round) {
    BigInteger nMinusOne = P256.ORDER.subtract(BigInteger.ONE);
    if (round == 0) {
      return BigInteger.ONE;
    }
    if (round == 1) {
      return nMinusOne;
    }
    BigInteger candidate;
    do {
      candidate = new BigInteger(P256.ORDER.bitLength(), random);
    } while (candidate.signum() == 0 || candidate.compareTo(nMinusOne) > 0);
    return candidate;
  }

  private static Setting setting(Random random, int round) {
    return new Setting(
        bytes(random), bytes(random), bytes(random), scalar(random, round), scalar(random, round));
  }

  /** A run of A with {@code secretA} against B with {@code secretB}, up to the confirmations. */
  private static Run run(String secretA, String secretB, Setting s)
      throws GeneralSecurityException {
    Spake2Party a = Spake2Party.create(Spake2.Role.A, w(secretA), s.idA(), s.idB(), s.aad(), s.x());
    Spake2Party b = Spake2Party.create(Spake2.Role.B, w(secretB), s.idA(), s.idB(), s.aad(), s.y());
    return new Run(a.finish(b.share()), b.finish(a.share()));
  }

  private static Spake2Scalar w(String secret) {
    return Spake2.passwordScalar(secret.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void run_sameSecret_bothConfirmAndAgreeOnKey() throws Exception {
    forSeed(
        (random, round) -> {
          String secret = secret(random);
          Run run = run(secret, secret, setting(random, round));

          assertThat(run.a().verifyPeer(run.b().ownConfirmation())).isTrue();
          assertThat(run.b().verifyPeer(run.a().ownConfirmation())).isTrue();
          assertThat(run.a().sharedKey()).isEqualTo(run.b().sharedKey());
        });
  }

  @Test
  void run_differentSecret_neverConfirms() throws Exception {
    forSeed(
        (random, round) -> {
          String secretA = secret(random);
          String secretB = secret(random);
          if (secretA.equals(secretB)) {
            secretB = secretB + "0";
          }
          Run run = run(secretA, secretB, setting(random, round));
          byte[] fromA = run.a().ownConfirmation();
          byte[] fromB = run.b().ownConfirmation();

          assertThat(run.a().verifyPeer(fromB)).isFalse();
          assertThat(run.b().verifyPeer(fromA)).isFalse();
        });
  }
}
