package dev.paird.protocol;

import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * An HMAC-SHA256 key whose bytes this class owns and wipes. {@code SecretKeySpec} keeps a copy of
 * the key that nothing can overwrite (it cannot be destroyed before JDK 19), so every MAC left one
 * in the heap until the collector reused that memory.
 *
 * <p>{@link #getEncoded()} returns a copy, as the {@code Key} contract requires; the JDK's {@code
 * HmacCore} overwrites that copy once it has derived its inner and outer pads from it. The pads
 * themselves (the key XOR 0x36 and 0x5c) stay in the {@code Mac} until it is initialised again,
 * which {@link HmacSuite} does with a key of zeros.
 */
final class HmacKey implements SecretKey {
  private static final long serialVersionUID = 1L;

  private final byte[] key;
  private volatile boolean destroyed;

  /** Takes ownership of {@code key}: the caller must not keep or change the array. */
  HmacKey(byte[] key) {
    this.key = key;
  }

  @Override
  public String getAlgorithm() {
    return "HmacSHA256";
  }

  @Override
  public String getFormat() {
    return "RAW";
  }

  @Override
  public byte[] getEncoded() {
    if (destroyed) {
      throw new IllegalStateException("key was destroyed");
    }
    return key.clone();
  }

  @Override
  public void destroy() {
    Arrays.fill(key, (byte) 0);
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public String toString() {
    return "HmacKey[redacted]";
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    throw new NotSerializableException("a key is never serialized");
  }
}
