package dev.paird.attack;

import dev.paird.protocol.SessionCertificates;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Mallory's offline search for a weak hmac key, on every core: she tries the keys of a space she
 * knows the shape of until one reproduces the m1 she received. The space here is the 16-byte keys
 * that are zero but for their last {@code unknownBits} bits, as a key would be that a broken
 * generator or a user's "easy" choice filled with a few bits of chance.
 */
final class HmacKeySearch {
  /** What a search found and what it cost. */
  record Result(Optional<byte[]> key, long guesses, Duration elapsed, int threads) {
    double guessesPerSecond() {
      return guesses / (elapsed.toNanos() / 1e9);
    }
  }

  private HmacKeySearch() {}

  /** The key numbered {@code index} in the space: the index, big-endian, in the last bytes. */
  static byte[] key(long index) {
    byte[] key = new byte[HmacGuess.KEY_BYTES];
    setIndex(key, index);
    return key;
  }

  /** Writes {@code index} into the last bytes of {@code key}, as {@link #key} does. */
  static void setIndex(byte[] key, long index) {
    for (int i = 0; i < Long.BYTES; i++) {
      key[key.length - 1 - i] = (byte) (index >>> (8 * i));
    }
  }

  /**
   * Searches the keys with {@code unknownBits} unknown bits for the one whose m1 over {@code
   * observed} is {@code m1}, on {@code threads} threads, each taking every {@code threads}-th key;
   * stops as soon as one finds it.
   */
  static Result search(byte[] m1, SessionCertificates observed, int unknownBits, int threads)
      throws InterruptedException {
    long space = 1L << unknownBits;
    AtomicReference<byte[]> found = new AtomicReference<>();
    LongAdder guesses = new LongAdder();
    Thread[] workers = new Thread[threads];
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      long first = t;
      workers[t] =
          new Thread(
              () -> {
                HmacGuess guess = new HmacGuess(observed);
                byte[] key = new byte[HmacGuess.KEY_BYTES];
                byte[] mac = new byte[HmacGuess.MAC_BYTES];
                long tried = 0;
                for (long index = first; index < space && found.get() == null; index += threads) {
                  setIndex(key, index);
                  guess.m1(key, mac);
                  tried++;
                  if (Arrays.equals(mac, m1)) {
                    found.set(key.clone());
                  }
                }
                guesses.add(tried);
              },
              "mallory-search-" + t);
      workers[t].start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    return new Result(Optional.ofNullable(found.get()), guesses.sum(), elapsed, threads);
  }
}
