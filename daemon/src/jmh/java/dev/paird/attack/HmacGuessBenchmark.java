package dev.paird.attack;

import dev.paird.api.HmacCode;
import dev.paird.protocol.HmacSuite;
import dev.paird.protocol.SessionCertificates;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 * How many guesses of an hmac key an attacker who received m1 tests per second: the inner loop
 * of {@link HmacKeySearch}, a new key for every guess, over the m1 input of a real session (the
 * label and the two EC P-256 fixture certificates, the kind paird generates: 763 bytes). On one
 * thread and on every core.
 *
 * <p>{@code jca} is {@link HmacGuess}, the honest baseline: {@code javax.crypto.Mac} re-keyed
 * for each guess. {@code handRolled} writes HMAC out over two SHA-256 digests, building the pads
 * in place with no key object; HMAC hashes the key first, so neither can reuse any work from one
 * guess to the next. Both use the JDK's SHA-256, which uses the CPU's SHA instructions where
 * there are any. A GPU does far better; these numbers are a floor for what an attacker can do.
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
  private HandRolledHmac handRolled;
  private final byte[] key = new byte[HmacGuess.KEY_BYTES];
  private final byte[] mac = new byte[HmacGuess.MAC_BYTES];
  private long index;

  @Setup
  public void setUp() throws Exception {
    SessionCertificates observed = SessionCertificates.of(
        Device.fixtureIdentity("client").certificate().getEncoded(),
        Device.fixtureIdentity("server").certificate().getEncoded());
    jca = new HmacGuess(observed);
    handRolled = new HandRolledHmac(jca.message());
    // Both must compute the product's m1, or the numbers measure something else.
    byte[] expected = HmacSuite.request(HmacCode.create(HmacKeySearch.key(7)), observed);
    for (byte[] m1 : new byte[][] {jcaGuess(7), handRolledGuess(7)}) {
      if (!Arrays.equals(m1, expected)) {
        throw new IllegalStateException("a guess does not compute HmacSuite's m1");
      }
    }
  }

  private byte[] jcaGuess(long keyIndex) {
    HmacKeySearch.setIndex(key, keyIndex);
    jca.m1(key, mac);
    return mac;
  }

  private byte[] handRolledGuess(long keyIndex) {
    HmacKeySearch.setIndex(key, keyIndex);
    handRolled.m1(key, mac);
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

  @Benchmark
  @Threads(1)
  public byte[] handRolled() {
    return handRolledGuess(++index);
  }

  @Benchmark
  @Threads(Threads.MAX)
  public byte[] handRolledAllCores() {
    return handRolledGuess(++index);
  }

  /** HMAC-SHA256 (RFC 2104) over two digests, for keys of at most one block. */
  static final class HandRolledHmac {
    private static final int BLOCK_BYTES = 64;

    private final MessageDigest inner;
    private final MessageDigest outer;
    private final byte[] message;
    private final byte[] pad = new byte[BLOCK_BYTES];
    private final byte[] innerHash = new byte[HmacGuess.MAC_BYTES];

    HandRolledHmac(byte[] message) throws NoSuchAlgorithmException {
      this.inner = MessageDigest.getInstance("SHA-256");
      this.outer = MessageDigest.getInstance("SHA-256");
      this.message = message.clone();
    }

    void m1(byte[] key, byte[] out) {
      try {
        fillPad(key, 0x36);
        inner.update(pad);
        inner.update(message);
        inner.digest(innerHash, 0, innerHash.length);
        fillPad(key, 0x5c);
        outer.update(pad);
        outer.update(innerHash);
        outer.digest(out, 0, HmacGuess.MAC_BYTES);
      } catch (java.security.DigestException e) {
        throw new IllegalStateException("SHA-256 output buffer too small", e);
      }
    }

    private void fillPad(byte[] key, int constant) {
      for (int i = 0; i < BLOCK_BYTES; i++) {
        pad[i] = (byte) ((i < key.length ? key[i] : 0) ^ constant);
      }
    }
  }
}
