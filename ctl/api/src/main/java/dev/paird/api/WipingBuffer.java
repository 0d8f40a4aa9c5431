package dev.paird.api;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * A growing byte buffer for bytes that may hold a key (a control request or answer): each array it
 * outgrows is wiped as it is left behind, and the last one when its bytes are {@linkplain
 * #takeBytes taken} or {@linkplain #wipe wiped}, so that no copy stays in memory for the garbage
 * collector to leave unwiped. An {@link OutputStream}, so that a JSON writer can write into it.
 */
public final class WipingBuffer extends OutputStream {
  private byte[] buffer = new byte[256];
  private int count;

  /** How many bytes it holds. */
  public int size() {
    return count;
  }

  @Override
  public void write(int b) {
    ensure(1);
    buffer[count++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    ensure(length);
    System.arraycopy(bytes, offset, buffer, count, length);
    count += length;
  }

  private void ensure(int more) {
    if (buffer.length - count >= more) {
      return;
    }
    byte[] grown = Arrays.copyOf(buffer, Math.max(buffer.length * 2, count + more));
    Arrays.fill(buffer, (byte) 0);
    buffer = grown;
  }

  /** What it holds, in an array of its own, which the caller wipes; this is then empty. */
  public byte[] takeBytes() {
    byte[] bytes = Arrays.copyOf(buffer, count);
    wipe();
    return bytes;
  }

  /** Wipes what it holds; it is then empty. */
  public void wipe() {
    Arrays.fill(buffer, 0, count, (byte) 0);
    count = 0;
  }

  @Override
  public String toString() {
    return "WipingBuffer[" + count + " bytes, redacted]";
  }
}
