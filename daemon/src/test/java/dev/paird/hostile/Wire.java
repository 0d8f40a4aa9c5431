package dev.paird.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The pairing port's frames as bytes, written from docs/PROTOCOL.md §2 alone: type (1 byte), length
 * (2 bytes, big-endian), body. Deliberately independent of paird's own frame classes, so that a
 * mistake shared by the daemon and its codec cannot hide here.
 */
final class Wire {
  static final int HMAC_REQUEST = 0x01;
  static final int HMAC_RESPONSE = 0x02;
  static final int SPAKE2_CLIENT_SHARE = 0x11;
  static final int SPAKE2_SERVER_SHARE = 0x12;
  static final int SPAKE2_CLIENT_CONFIRM = 0x13;
  static final int SPAKE2_SERVER_CONFIRM = 0x14;
  static final int PING = 0x21;
  static final int PONG = 0x22;
  static final int ERROR = 0x7f;

  /** The whole ERROR frames the server may answer with, by reason. */
  static final byte[] ERROR_REJECTED = hex("7f000101");

  static final byte[] ERROR_MALFORMED = hex("7f000102");
  static final byte[] ERROR_UNEXPECTED = hex("7f000103");

  static final byte[] ERROR_BUSY = hex("7f000104");
  static final byte[] ERROR_TIMEOUT = hex("7f000105");
  static final byte[] ERROR_NOT_TRUSTED = hex("7f000106");

  private Wire() {}

  /** A frame: the header says {@code body.length}. */
  static byte[] frame(int type, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(type);
    out.write(body.length >>> 8);
    out.write(body.length & 0xff);
    out.writeBytes(body);
    return out.toByteArray();
  }

  /** SPAKE2_CLIENT_SHARE: the slot byte, then the 65-byte point. */
  static byte[] clientShare(int slot, byte[] point) {
    byte[] body = new byte[1 + point.length];
    body[0] = (byte) slot;
    System.arraycopy(point, 0, body, 1, point.length);
    return frame(SPAKE2_CLIENT_SHARE, body);
  }

  /**
   * Starts a spake2 exchange on {@code connection}: a SPAKE2_CLIENT_SHARE of a random point for
   * slot {@code id}, then reads as many bytes as a whole SPAKE2_SERVER_SHARE takes (what the server
   * sent instead, if it did not answer with one), within {@code bound}.
   */
  static byte[] sendShare(RawConnection connection, String id, Duration bound) throws IOException {
    connection.send(clientShare(Integer.parseInt(id), P256.randomPoint()));
    return connection.read(3 + 65, bound);
  }

  static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  static String hex(byte[] bytes) {
    return HexFormat.ofDelimiter(" ").formatHex(bytes);
  }
}
