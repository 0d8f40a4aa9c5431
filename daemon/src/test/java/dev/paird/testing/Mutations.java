package dev.paird.testing;

import java.util.Arrays;

/** Byte-level edits the fuzzers make of valid input. */
public final class Mutations {
  private Mutations() {}

  /** {@code bytes} with the range {@code [from, to)} replaced by {@code insert}. */
  public static byte[] splice(byte[] bytes, int from, int to, byte[] insert) {
    byte[] out = Arrays.copyOf(bytes, from + insert.length + bytes.length - to);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(bytes, to, out, from + insert.length, bytes.length - to);
    return out;
  }
}
