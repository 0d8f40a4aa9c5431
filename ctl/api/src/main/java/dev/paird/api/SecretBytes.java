package dev.paird.api;

import java.util.Arrays;

/**
 * Secret bytes (a key, a code's digits) that never print themselves and can be wiped. After {@link
 * #destroy()} every read throws, so a use-after-wipe is a loud bug rather than a quiet zero key.
 */
public final class SecretBytes {
  private final byte[] bytes;
  private volatile boolean destroyed;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Takes ownership of {@code bytes}: the caller must not keep or change the array. */
  static SecretBytes adopt(byte[] bytes) {
    return new SecretBytes(bytes);
  }

  /** How many bytes; available even after {@link #destroy()}. */
  public int length() {
    return bytes.length;
  }

  /** One byte. */
  public byte get(int index) {
    checkNotDestroyed();
    return bytes[index];
  }

  /** A copy of the bytes; the caller wipes it when done. */
  public byte[] copy() {
    checkNotDestroyed();
    return bytes.clone();
  }

  /** Overwrites the bytes with zeros. */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
    destroyed = true;
  }

  public boolean isDestroyed() {
    return destroyed;
  }

  private void checkNotDestroyed() {
    if (destroyed) {
      throw new IllegalStateException("secret was destroyed");
    }
  }

  @Override
  public String toString() {
    return "SecretBytes[" + bytes.length + " bytes, redacted]";
  }
}
