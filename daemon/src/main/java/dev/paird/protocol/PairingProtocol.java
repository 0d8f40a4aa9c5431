package dev.paird.protocol;

import java.nio.charset.StandardCharsets;

/** Constants of the pairing protocol, version 1, specified byte by byte in docs/PROTOCOL.md. */
public final class PairingProtocol {
  /** The ALPN protocol name: names the protocol and its version in the TLS handshake. */
  public static final String ALPN = "paird/1";

  /** Frame header: type (1 byte) and body length (2 bytes, big-endian). */
  public static final int HEADER_BYTES = 3;

  /** The largest body any frame may have; a longer one is refused before it is read. */
  public static final int MAX_BODY_BYTES = 256;

  /** The SPAKE2 additional authenticated data: binds the exchange to this protocol version. */
  public static final byte[] SPAKE2_AAD = ALPN.getBytes(StandardCharsets.US_ASCII);

  private PairingProtocol() {}
}
