package dev.paird.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * One protocol frame: a type and its body. Bodies carry MACs and SPAKE2 values, which an attacker
 * could use to test guesses of a key, so {@code toString()} shows only type and length.
 */
public final class Frame {
  private final FrameType type;
  private final byte[] body;

  private Frame(FrameType type, byte[] body) {
    this.type = type;
    this.body = body;
  }

  /**
   * A frame of {@code type}; the body (copied) must have the type's length.
   *
   * @throws IllegalArgumentException if it does not
   */
  public static Frame of(FrameType type, byte[] body) {
    Objects.requireNonNull(type, "type");
    if (body.length != type.bodyLength()) {
      throw new IllegalArgumentException(
          type + " body must be " + type.bodyLength() + " bytes, not " + body.length);
    }
    return new Frame(type, body.clone());
  }

  /** An ERROR frame. */
  public static Frame error(ErrorReason reason) {
    return new Frame(FrameType.ERROR, new byte[] {(byte) reason.code()});
  }

  /** A frame with an empty body (PING, PONG). */
  public static Frame empty(FrameType type) {
    return of(type, new byte[0]);
  }

  public FrameType type() {
    return type;
  }

  /** A copy of the body. */
  public byte[] body() {
    return body.clone();
  }

  /** The reason of an ERROR frame; empty for other frames or an unknown reason byte. */
  public java.util.Optional<ErrorReason> errorReason() {
    return type == FrameType.ERROR
        ? ErrorReason.fromCode(body[0] & 0xff)
        : java.util.Optional.empty();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Frame frame && frame.type == type && Arrays.equals(frame.body, body);
  }

  @Override
  public int hashCode() {
    return type.hashCode() * 31 + Arrays.hashCode(body);
  }

  @Override
  public String toString() {
    return type == FrameType.ERROR
        ? "Frame[ERROR " + errorReason().map(Enum::name).orElse("?") + "]"
        : "Frame[" + type + ", " + body.length + " bytes]";
  }
}
