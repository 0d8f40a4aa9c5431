package dev.paird.attack;

import dev.paird.api.HmacCode;
import dev.paird.protocol.HmacSuite;
import dev.paird.protocol.SessionCertificates;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How many guesses of an hmac key an attacker who received m1 tests per second: the inner loop of
 * {@link HmacKeySearch}, a new key for every guess, over the m1 input of a real session (the label
 * and the two EC P-256 fixture certificates, the kind paird generates: 763 bytes). On one thread
 * and on every core.
 *
 * <p>{@code jca} is {@link HmacGuess}: {@code javax.crypto.Mac} re-keyed for each guess, on the
 * JDK's SHA-256, which uses the CPU's SHA instructions where there are any. HMAC hashes the key
 * first, so no work carries over from one guess to the next, and HMAC written out by hand over two
 * digests was measured no faster. A GPU does far better; these numbers are a floor for what an
 * attacker can do.
 *
 * <p>Run with {@code mvn -B -q -Pbench -pl daemon -am verify -Djmh.args=HmacGuess}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class HmacGuessBenchmark {
  private HmacGuess jca;
  private final byte[] key = new byte[HmacGuess.KEY_BYTES];
  private final byte[] mac = new byte[HmacGuess.MAC_BYTES];
  private long index;

  @Setup
  public void setUp() throws Exception {
    SessionCertificates observed =
        SessionCertificates.of(
            Device.fixtureIdentity("client").certificate().getEncoded(),
            Device.fixtureIdentity("server").certificate().getEncoded());
    jca = new HmacGuess(observed);
    // It must compute the product's m1, or the numbers measure something else.
    byte[] expected = HmacSuite.request(HmacCode.create(HmacKeySearch.key(7)), observed);
    if (!Arrays.equals(jcaGuess(7), expected)) {
      throw new IllegalStateException("a guess does not compute HmacSuite's m1");
    }
  }

  private byte[] jcaGuess(long keyIndex) {
    HmacKeySearch.setIndex(key, keyIndex);
    jca.m1(key, mac);
    return mac;
  }

  @Benchmark
  @Threads(1)
  public byte[] jca() {
    return jcaGuess(++index);
  }

  @Benchmark
  @Threads(Threads.MAX)
  public byte[] jcaAllCores() {
    return jcaGuess(++index);
  }
}
