package dev.paird.protocol.spake2;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.digests.SHA512Digest;

/**
 * The password scalar w of SPAKE2, in [1, n-1]: the secret both devices derive from the code's
 * secret digits (see {@link Spake2#passwordScalar}).
 *
 * <p>One scalar may start several runs, one after another, while its code is pending; each {@link
 * Spake2Party} copies what it needs, so destroying the scalar does not disturb a run already
 * started. {@link #destroy()} wipes the 32-byte encoding held here and drops the {@link
 * BigInteger}; a {@code BigInteger} cannot be overwritten, so the value itself stays in the heap
 * until the garbage collector reuses that memory.
 *
 * <p>Thread-safe: a pending key may expire, and destroy its scalar, on another thread.
 */
public final class Spake2Scalar {
  // "v1" lets a later derivation coexist; the zero byte ends the label so that no choice of
  // digits can extend it.
  private static final byte[] DOMAIN = "paird spake2 w v1\0".getBytes(StandardCharsets.US_ASCII);

  private BigInteger value; // null once destroyed
  private final byte[] encoded; // 32 bytes big-endian, as w appears in the transcript

  private Spake2Scalar(BigInteger value) {
    if (!P256.isScalar(value)) {
      throw new IllegalArgumentException("w must be in [1, n-1]");
    }
    this.value = value;
    this.encoded = P256.scalarBytes(value);
  }

  /** w given directly, as the RFC 9382 test vectors give it. */
  static Spake2Scalar of(BigInteger w) {
    return new Spake2Scalar(Objects.requireNonNull(w, "w"));
  }

  /** {@code OS2IP(SHA-512("paird spake2 w v1" || 0x00 || digits)) mod n}. */
  static Spake2Scalar fromSecretDigits(byte[] secretAsciiDigits) {
    Objects.requireNonNull(secretAsciiDigits, "secretAsciiDigits");
    if (secretAsciiDigits.length == 0) {
      throw new IllegalArgumentException("secret digits must not be empty");
    }
    for (byte b : secretAsciiDigits) {
      if (b < '0' || b > '9') {
        throw new IllegalArgumentException("secret digits must be ASCII 0-9");
      }
    }
    SHA512Digest sha512 = new SHA512Digest();
    byte[] digest = new byte[sha512.getDigestSize()];
    try {
      sha512.update(DOMAIN, 0, DOMAIN.length);
      sha512.update(secretAsciiDigits, 0, secretAsciiDigits.length);
      sha512.doFinal(digest, 0);
      // 512 bits reduced mod a 256-bit n: the bias is below 2^-256, well past the 64 extra
      // bits RFC 9382 section 3.2 asks for. A result of 0 has probability 2^-256; the
      // constructor would refuse it.
      return new Spake2Scalar(new BigInteger(1, digest).mod(P256.ORDER));
    } finally {
      Arrays.fill(digest, (byte) 0);
    }
  }

  /** The value, for a party to compute with. */
  synchronized BigInteger value() {
    checkNotDestroyed();
    return value;
  }

  /** A copy of the 32-byte big-endian encoding; the caller wipes it. */
  synchronized byte[] encoded() {
    checkNotDestroyed();
    return encoded.clone();
  }

  /** Wipes the encoding and drops the value. The scalar cannot start runs afterwards. */
  public synchronized void destroy() {
    Arrays.fill(encoded, (byte) 0);
    value = null;
  }

  /** Whether {@link #destroy()} has been called. */
  public synchronized boolean isDestroyed() {
    return value == null;
  }

  private void checkNotDestroyed() {
    if (value == null) {
      throw new IllegalStateException("spake2 password scalar was destroyed");
    }
  }

  @Override
  public synchronized String toString() {
    return value == null ? "Spake2Scalar[destroyed]" : "Spake2Scalar[redacted]";
  }
}
