package dev.paird.protocol;

import java.util.Optional;

/** The frame types of the pairing protocol, with their wire byte and fixed body length. */
public enum FrameType {
  /** Client to server: m1, the hmac suite's request MAC. */
  HMAC_REQUEST(0x01, 32),
  /** Server to client: m2, the hmac suite's response MAC. */
  HMAC_RESPONSE(0x02, 32),
  /** Client to server: the key's public slot (1 byte) and SPAKE2 share pA (65 bytes). */
  SPAKE2_CLIENT_SHARE(0x11, 66),
  /** Server to client: SPAKE2 share pB (65 bytes). */
  SPAKE2_SERVER_SHARE(0x12, 65),
  /** Client to server: SPAKE2 confirmation of role A; it takes m1's place. */
  SPAKE2_CLIENT_CONFIRM(0x13, 32),
  /** Server to client: SPAKE2 confirmation of role B; it takes m2's place. */
  SPAKE2_SERVER_CONFIRM(0x14, 32),
  /** Client to server: do you trust me? */
  PING(0x21, 0),
  /** Server to client: yes. */
  PONG(0x22, 0),
  /** Either way: the exchange failed; the body is one {@link ErrorReason} byte. */
  ERROR(0x7f, 1);

  private final int code;
  private final int bodyLength;

  FrameType(int code, int bodyLength) {
    this.code = code;
    this.bodyLength = bodyLength;
  }

  /** The type's byte on the wire. */
  public int code() {
    return code;
  }

  /** Every frame of this type has exactly this many body bytes. */
  public int bodyLength() {
    return bodyLength;
  }

  public static Optional<FrameType> fromCode(int code) {
    for (FrameType type : values()) {
      if (type.code == code) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
