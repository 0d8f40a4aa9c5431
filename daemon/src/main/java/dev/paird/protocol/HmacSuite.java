package dev.paird.protocol;

import dev.paird.api.HmacCode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;

/**
 * The literal scheme's MACs:
 *
 * <pre>
 * m1 = HMAC-SHA256(K, "request"  || DER(client certificate) || DER(server certificate))
 * m2 = HMAC-SHA256(K, "response" || DER(client certificate) || DER(server certificate))
 * </pre>
 *
 * <p>K is the 16 key bytes; each side uses the certificates as observed in its own TLS session. DER
 * is self-delimiting, so the concatenation is unambiguous. The different labels keep m1 from being
 * replayed as m2. Whoever receives m1 can test guesses of K offline, which is why K must be 128
 * bits (see docs/SECURITY.md).
 */
public final class HmacSuite {
  public static final int MAC_BYTES = 32;
  private static final byte[] REQUEST = "request".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RESPONSE = "response".getBytes(StandardCharsets.US_ASCII);

  private HmacSuite() {}

  /** m1, sent by the client. */
  public static byte[] request(HmacCode key, SessionCertificates certificates) {
    return mac(key, REQUEST, certificates);
  }

  /** m2, sent by the server. */
  public static byte[] response(HmacCode key, SessionCertificates certificates) {
    return mac(key, RESPONSE, certificates);
  }

  /** Constant-time comparison of a received MAC with the expected one. */
  static boolean matches(byte[] expected, byte[] received) {
    return received.length == MAC_BYTES && MessageDigest.isEqual(expected, received);
  }

  private static byte[] mac(HmacCode key, byte[] label, SessionCertificates certificates) {
    HmacKey secret = new HmacKey(key.keyBytes());
    Mac mac;
    try {
      mac = Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      secret.destroy();
      throw new IllegalStateException("every Java platform has HmacSHA256", e);
    }
    try {
      mac.init(secret);
      mac.update(label);
      mac.update(certificates.client());
      mac.update(certificates.server());
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has HmacSHA256", e);
    } finally {
      secret.destroy();
      forgetPads(mac);
    }
  }

  /**
   * Initialises {@code mac} again with a key of zeros, so that the pads it derived from the real
   * key (key XOR 0x36, key XOR 0x5c) are overwritten; {@code Mac.reset} keeps them.
   */
  private static void forgetPads(Mac mac) {
    try {
      mac.init(new HmacKey(new byte[HmacCode.KEY_BYTES]));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 refused a key of zeros", e);
    }
  }
}
