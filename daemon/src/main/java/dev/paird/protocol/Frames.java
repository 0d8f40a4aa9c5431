package dev.paird.protocol;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Encoding and decoding of frames: {@code type (1) | length (2, big-endian) | body (length)}. Pure
 * functions over buffers, shared by the Netty codec, the tests and the fuzzers.
 */
public final class Frames {
  private Frames() {}

  /** The frame's bytes on the wire. */
  public static byte[] encode(Frame frame) {
    byte[] body = frame.body();
    ByteBuffer out = ByteBuffer.allocate(PairingProtocol.HEADER_BYTES + body.length);
    out.put((byte) frame.type().code());
    out.putShort((short) body.length);
    out.put(body);
    return out.array();
  }

  /**
   * Decodes one frame from the start of {@code in} if it is all there, advancing the buffer past
   * it; returns empty (buffer untouched) if more bytes are needed. The header is checked as soon as
   * it has arrived, so a frame of unknown type or a length other than the type's is refused before
   * its body is buffered.
   *
   * @throws MalformedFrameException if the bytes cannot be a valid frame
   */
  public static Optional<Frame> decode(ByteBuffer in) throws MalformedFrameException {
    if (in.remaining() < PairingProtocol.HEADER_BYTES) {
      return Optional.empty();
    }
    int start = in.position();
    int code = in.get(start) & 0xff;
    int length = in.getShort(start + 1) & 0xffff;
    FrameType type =
        FrameType.fromCode(code)
            .orElseThrow(
                () ->
                    new MalformedFrameException(
                        "unknown frame type 0x" + Integer.toHexString(code)));
    if (length > PairingProtocol.MAX_BODY_BYTES) {
      throw new MalformedFrameException(
          "frame body of "
              + length
              + " bytes exceeds the maximum of "
              + PairingProtocol.MAX_BODY_BYTES);
    }
    if (length != type.bodyLength()) {
      throw new MalformedFrameException(
          type + " frame must have " + type.bodyLength() + " body bytes, not " + length);
    }
    if (in.remaining() < PairingProtocol.HEADER_BYTES + length) {
      return Optional.empty();
    }
    byte[] body = new byte[length];
    in.position(start + PairingProtocol.HEADER_BYTES);
    in.get(body);
    return Optional.of(Frame.of(type, body));
  }
}
